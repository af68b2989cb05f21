// vitest globalSetup: what tests spawn or import from outside the workspace is built JavaScript: build it from the current sources first.
// @ts-expect-error: a plain JavaScript module without declarations
import { buildJavaScript } from '../../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildJavaScript();
}
