/**
 * One area of the interface's messages (a role's screens), in both languages side by side, so a
 * key cannot be added to one language and forgotten in the other: the English object must have
 * exactly the Vietnamese object's keys (the compiler checks it). catalogue-vi.ts and
 * catalogue-en.ts spread every area into the two catalogues.
 */
export function messageArea<const V extends Record<string, string>>(vi: V, en: { readonly [K in keyof V]: string }): { vi: V; en: { readonly [K in keyof V]: string } } {
  return { vi, en };
}
