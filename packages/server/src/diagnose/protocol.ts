import {
  type CentralHello,
  centralHelloSchema,
  DAY_MS,
  ENVELOPE_VERSION,
  FORMAT_VERSION,
} from '@leasehold/protocol';
import { type CentralCall, wireDetail } from './call.ts';
import { failed, passed, type StepResult } from './steps.ts';

/** Step 4: is this a Leasehold central server, and does it speak our message format and envelope? */
export function protocolStep(call: CentralCall, where: string): { step: StepResult; hello?: CentralHello } {
  if (call.kind === 'failed') {
    const { kind, code } = call.failure;
    return kind === 'answer-timeout' || kind === 'connect-timeout'
      ? {
          step: failed(
            'protocol',
            `${where} accepted the connection but did not answer in time`,
            'CENTRAL_TIMEOUT',
          ),
        }
      : { step: failed('protocol', `${where}: ${code}`, 'CENTRAL_UNAVAILABLE') };
  }
  if (call.wireError?.code === 'NOT_FOUND') {
    return {
      step: failed(
        'protocol',
        `${where} is a Leasehold central server older than this program (it has no /v1/hello)`,
        'PROTOCOL_VERSION_UNSUPPORTED',
      ),
    };
  }
  if (call.wireError) {
    const detail = wireDetail(call.wireError, `${where} refused the request`);
    return { step: failed('protocol', detail, call.wireError.code) };
  }
  const hello = call.status === 200 ? centralHelloSchema.safeParse(call.json) : undefined;
  if (!hello?.success) {
    return {
      step: failed(
        'protocol',
        `${where} answered HTTP ${call.status}, but not as a Leasehold central server; check the central URL`,
        'CENTRAL_UNAVAILABLE',
      ),
    };
  }
  const { protocolVersions, envelopeVersion } = hello.data;
  const speaks = `message format ${protocolVersions.join(', ')} and envelope ${envelopeVersion}`;
  const ours = `message format ${FORMAT_VERSION} and envelope ${ENVELOPE_VERSION}`;
  if (!protocolVersions.includes(FORMAT_VERSION) || envelopeVersion !== ENVELOPE_VERSION) {
    return {
      step: failed(
        'protocol',
        `the central server speaks ${speaks}; this program speaks ${ours}`,
        'PROTOCOL_VERSION_UNSUPPORTED',
      ),
      hello: hello.data,
    };
  }
  return {
    step: passed('protocol', `Leasehold central server speaking ${speaks}, as this program does`),
    hello: hello.data,
  };
}

function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${Math.round(abs / 1000)} s`;
  if (abs < 3_600_000) return `${Math.round(abs / 60_000)} min`;
  return `${Math.round(abs / 360_000) / 10} h`;
}

/**
 * The clock check that goes with step 4: a sync response issued more than a day from this clock is
 * refused (CLOCK_SKEW, docs/sync.md), so diagnose reports the same bound.
 */
export function clockStep(hello: CentralHello, localNow: Date): StepResult {
  const skew = new Date(hello.time).getTime() - localNow.getTime();
  const relation =
    Math.abs(skew) < 1000 ? 'within a second of' : `${span(skew)} ${skew > 0 ? 'behind' : 'ahead of'}`;
  const detail = `this clock (${localNow.toISOString()}) is ${relation} the central server's (${hello.time})`;
  if (Math.abs(skew) > DAY_MS) return failed('clock', detail, 'CLOCK_SKEW');
  return passed('clock', detail);
}
