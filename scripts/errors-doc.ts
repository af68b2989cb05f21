import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../packages/protocol/src/errorsDoc.ts';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
