// What a file really is, from its first bytes (a name or the browser's
// guess can lie): the types the site prints from a web upload. The site
// checks again after opening it; this spares the user an upload that
// would only be refused.

const MAGIC = [
  ['application/pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]], // %PDF-
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
];

// Resolves to 'application/pdf', 'image/jpeg', 'image/png' or null.
export async function sniff(blob) {
  const head = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
  for (const [type, bytes] of MAGIC) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b)) return type;
  }
  return null;
}
