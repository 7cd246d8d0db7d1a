/** Bad input from the user (a flag, a file, a profile): printed on one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
