// The symbol `await using` calls to dispose of a handle asynchronously.

/**
 * `Symbol.asyncDispose`. Node.js defines it from 20.4 on; on earlier 20.x releases this is the
 * same registered symbol Node.js itself uses, so handles stay disposable there too.
 */
export const asyncDispose: typeof Symbol.asyncDispose = (Symbol.asyncDispose ??
  Symbol.for("nodejs.asyncDispose")) as typeof Symbol.asyncDispose;
