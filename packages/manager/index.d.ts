/** The built License Server Manager (`vite build`), which the local server serves under /manager/. */
export declare const managerDistDir: string;
