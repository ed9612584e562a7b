// The client library's version, sent in Hello and kept equal to package.json by a test.

/** The version of `@sinew/client`. */
export const CLIENT_VERSION = "0.1.0";
