/**
 * The base of every error that carries a typed code (a string enum value, kebab-case): the code
 * is what callers branch on, what the API answers and what metrics count; the message is for
 * people. `name` is the subclass's name.
 */
export class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
