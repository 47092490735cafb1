// What a removed field was, in words a reporter knows: every cleaner names
// fields as its format does ("GPSLatitude", "Author", "dc:creator", "©xyz"),
// and the page's catalogue names each kind.

export type MetadataKind =
  "location" | "device" | "software" | "time" | "person" | "text" | "history" | "identifier" | "other";

const KIND_OF: Record<string, MetadataKind> = {
  // EXIF (JPEG, PNG, WebP)
  Make: "device",
  Model: "device",
  Software: "software",
  BodySerialNumber: "device",
  LensMake: "device",
  LensModel: "device",
  LensSerialNumber: "device",
  MakerNote: "device",
  DateTime: "time",
  DateTimeOriginal: "time",
  DateTimeDigitized: "time",
  OffsetTime: "time",
  OffsetTimeOriginal: "time",
  tIME: "time",
  Artist: "person",
  Copyright: "person",
  CameraOwnerName: "person",
  ImageDescription: "text",
  UserComment: "text",
  Comment: "text",
  XMP: "text",
  IPTC: "text",
  ImageUniqueID: "identifier",
  // PDF
  Author: "person",
  Creator: "software",
  Producer: "software",
  CreationDate: "time",
  ModDate: "time",
  Title: "text",
  Subject: "text",
  Keywords: "text",
  DocumentID: "identifier",
  IncrementalUpdates: "history",
  AnnotationAuthors: "person",
  // OOXML and ODF
  "dc:creator": "person",
  "cp:lastModifiedBy": "person",
  "meta:initial-creator": "person",
  "app:Company": "person",
  "app:Manager": "person",
  CommentAuthors: "person",
  People: "person",
  FilePath: "person",
  "dcterms:created": "time",
  "dcterms:modified": "time",
  "cp:lastPrinted": "time",
  "meta:creation-date": "time",
  "meta:print-date": "time",
  "dc:date": "time",
  CommentDates: "time",
  "app:TotalTime": "history",
  "cp:revision": "history",
  "meta:editing-cycles": "history",
  "meta:editing-duration": "history",
  RevisionIDs: "history",
  "app:Application": "software",
  "app:AppVersion": "software",
  "app:Template": "software",
  "meta:generator": "software",
  "meta:template": "software",
  "dc:title": "text",
  "dc:subject": "text",
  "dc:description": "text",
  "cp:keywords": "text",
  "cp:category": "text",
  "meta:keyword": "text",
  // MP4 and QuickTime
  "\u00a9xyz": "location",
  loci: "location",
  CreationTime: "time",
  "\u00a9day": "time",
  "\u00a9mak": "device",
  "\u00a9mod": "device",
  "\u00a9swr": "software",
  "\u00a9too": "software",
  "\u00a9nam": "text",
  "\u00a9cmt": "text",
  udta: "text",
  meta: "text",
};
const KIND_ORDER: readonly MetadataKind[] = [
  "location",
  "device",
  "software",
  "time",
  "person",
  "text",
  "history",
  "identifier",
  "other",
];

function kindOf(name: string): MetadataKind {
  // A picture inside a document is listed as "word/media/image1.jpeg: GPSLatitude".
  const inner = /^[^:]*\/[^:]*: (.+)$/.exec(name);
  if (inner?.[1] !== undefined) return kindOf(inner[1]);
  if (name.startsWith("GPS")) return "location";
  // PNG text chunks ("tEXt: Author") and user-defined properties are text someone wrote.
  if (/^(tEXt|zTXt|iTXt): |^custom:|^meta:user-defined: /.test(name)) return "text";
  return KIND_OF[name] ?? "other";
}

/** The kinds of the fields a cleaner removed, most revealing first, each once. */
export function metadataKinds(removed: readonly string[]): MetadataKind[] {
  const kinds = new Set(removed.map(kindOf));
  return KIND_ORDER.filter((k) => kinds.has(k));
}
