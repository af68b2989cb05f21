import { syncProbeAnswerSchema } from '@leasehold/protocol';
import { type CentralCall, wireDetail } from './call.ts';
import { failed, passed, type StepResult } from './steps.ts';

export interface BindingExpectation {
  licenseServerId: string;
  /** This server's signing key id: the key the id must be bound to. */
  serverKeyId: string;
  where: string;
}

const VENDOR_KEYS_FIX =
  'The central server cannot open messages sealed to the vendor key this server was installed with; check that vendor-public-keys.json in the data folder is the one for this central server.';

/** Step 5, judged from the central server's answer to a binding probe (which changes nothing there). */
export function bindingStep(call: CentralCall, expect: BindingExpectation): StepResult {
  const id = expect.licenseServerId;
  const key = `${expect.serverKeyId.slice(0, 12)}…`;
  if (call.kind === 'failed') {
    const { kind, code } = call.failure;
    return kind === 'answer-timeout' || kind === 'connect-timeout'
      ? failed('binding', `${expect.where} did not answer the binding probe in time`, 'CENTRAL_TIMEOUT')
      : failed('binding', `${expect.where}: ${code}`, 'CENTRAL_UNAVAILABLE');
  }
  const { wireError } = call;
  if (wireError) {
    switch (wireError.code) {
      case 'SERVER_ID_UNKNOWN':
        return failed('binding', `the central server does not know ${id}`, 'SERVER_ID_UNKNOWN');
      case 'NOT_FOUND':
        return failed(
          'binding',
          `${expect.where} has no binding probe: it is older than this program`,
          'PROTOCOL_VERSION_UNSUPPORTED',
        );
      case 'MESSAGE_NOT_FOR_RECIPIENT':
        return failed(
          'binding',
          wireDetail(wireError, 'the probe was refused'),
          wireError.code,
          VENDOR_KEYS_FIX,
        );
      default:
        return failed('binding', wireDetail(wireError, 'the probe was refused'), wireError.code);
    }
  }
  const answer = call.status === 200 ? syncProbeAnswerSchema.safeParse(call.json) : undefined;
  if (!answer?.success || answer.data.licenseServerId !== id) {
    return failed(
      'binding',
      `${expect.where} answered the binding probe with HTTP ${call.status}, not as a Leasehold central server`,
      'CENTRAL_UNAVAILABLE',
    );
  }
  switch (answer.data.binding) {
    case 'this-server':
      return passed('binding', `${id} is bound to this server's key ${key}`);
    case 'none':
      return passed('binding', `${id} is not bound yet: the next sync binds it to this server's key ${key}`);
    case 'another-server':
      return failed(
        'binding',
        `${id} is bound to another server's key, not to this server's key ${key}`,
        'SERVER_ID_IN_USE',
      );
  }
}
