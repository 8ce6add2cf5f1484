/** A document, or one of its operations, that cannot become tools; the message names the operation when there is one. */
export class OpenApiError extends Error {
  override name = 'OpenApiError';
}
