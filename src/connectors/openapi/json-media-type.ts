/** `application/json`, with parameters, or any `+json` type such as `application/problem+json`. */
export function isJsonMediaType(mediaType: string): boolean {
  const essence = mediaType.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || /^application\/[^/]+\+json$/.test(essence);
}
