/** Stamped on every emitted detail; a test keeps it equal to package.json's version. */
export const POLLER_VERSION = '0.1.0';
