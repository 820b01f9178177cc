// Errors the admin API renders as JSON: { error: { code, message, pointer? } }.
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    /** JSON pointer into the request body, for validation errors. */
    public readonly pointer?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const invalid = (pointer: string, message: string) => new ApiError(400, 'invalid', message, pointer);
