/** A config or flag value that cannot be used; names the field and what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly got?: unknown,
  ) {
    super(`${field}: expected ${expected}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`);
    this.name = 'ConfigError';
  }
}
