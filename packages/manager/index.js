import { fileURLToPath } from 'node:url';

/** The built License Server Manager (`vite build`), which the local server serves under /manager/. */
export const managerDistDir = fileURLToPath(new URL('./dist/', import.meta.url));
