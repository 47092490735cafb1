// The document cleaners (PDF, Office Open XML, OpenDocument) on files made
// here with known metadata: what they list as removed is gone from the
// bytes, and the content is still there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { strToU8, unzipSync, zipSync } from "fflate";
import { PDFDocument, PDFHexString, PDFName, PDFString, StandardFonts } from "pdf-lib";
import { cleanFile, metadataKinds } from "../../frontend/src/lib/clean/index.js";

const latin1 = (bytes) => Buffer.from(bytes).toString("latin1");
const blobBytes = async (b) => (b instanceof Uint8Array ? b : new Uint8Array(await b.arrayBuffer()));

async function pdfWithMetadata() {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage([300, 200]);
  page.drawText("Page text stays", { x: 20, y: 100, font: await doc.embedFont(StandardFonts.Helvetica) });
  const note = doc.context.obj({ Type: "Annot", Subtype: "Text", Rect: [10, 10, 30, 30] });
  note.set(PDFName.of("Contents"), PDFString.of("Note stays"));
  note.set(PDFName.of("T"), PDFString.of("Jane Author"));
  note.set(PDFName.of("M"), PDFString.of("D:20240501100000Z"));
  page.node.set(PDFName.of("Annots"), doc.context.obj([doc.context.register(note)]));
  doc.setAuthor("Jane Author");
  doc.setTitle("Quarterly secrets");
  doc.setProducer("SecretWriter 9");
  doc.setCreationDate(new Date("2024-05-01T10:00:00Z"));
  const xmp = doc.context.stream("<x:xmpmeta><dc:creator>Jane Author</dc:creator></x:xmpmeta>", {
    Type: "Metadata",
    Subtype: "XML",
  });
  doc.catalog.set(PDFName.of("Metadata"), doc.context.register(xmp));
  doc.context.trailerInfo.ID = doc.context.obj([PDFHexString.of("c0ffee00"), PDFHexString.of("c0ffee00")]);
  const base = await doc.save({ useObjectStreams: false });
  // An incremental update that defines an object nothing references: what an
  // editor leaves behind of text that was "deleted" in a later save.
  const update = `\n99 0 obj\n(Earlier draft: fire Bob)\nendobj\nstartxref\n${base.length}\n%%EOF\n`;
  return new Uint8Array([...base, ...Buffer.from(update, "latin1")]);
}

test("PDF: Info, XMP, document id and an earlier revision are gone, the page text stays", async () => {
  const original = await pdfWithMetadata();
  assert.match(latin1(original), /Jane Author/);
  const result = await cleanFile(new Blob([original]));
  assert.equal(result.format, "pdf");
  const names = ["Author", "Title", "Producer", "CreationDate", "XMP", "DocumentID", "IncrementalUpdates"];
  for (const name of [...names, "AnnotationAuthors"]) {
    assert.ok(result.removed.includes(name), name);
  }
  const text = latin1(await blobBytes(result.bytes));
  for (const gone of [
    "Jane Author",
    "Quarterly",
    "SecretWriter",
    "/Metadata",
    "/ID",
    "/Info",
    "Earlier draft",
    "c0ffee",
  ]) {
    assert.doesNotMatch(text, new RegExp(gone), gone);
  }
  assert.equal(text.split("startxref").length - 1, 1, "written fresh: one xref");
  assert.match(text, /Note stays/);
  assert.doesNotMatch(text, /D:2024/);
  const reread = await PDFDocument.load(await blobBytes(result.bytes), { updateMetadata: false });
  assert.equal(reread.getPageCount(), 1);
  assert.equal(reread.getAuthor(), undefined);
  const content = reread.getPage(0).node.Contents();
  assert.ok(content, "the page keeps its content stream");
});

test("PDF: a file with a password is named as one that cannot be cleaned", async () => {
  const doc = await PDFDocument.create();
  doc.addPage();
  doc.context.trailerInfo.Encrypt = doc.context.register(doc.context.obj({ Filter: "Standard", V: 2 }));
  const result = await cleanFile(new Blob([await doc.save()]));
  assert.deepEqual(result, { cannot: "encrypted" });
});

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const docxParts = {
  "[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
  "docProps/core.xml": `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"><dc:creator>Jane Author</dc:creator><cp:lastModifiedBy>Jane Author</cp:lastModifiedBy><dcterms:created>2024-05-01T10:00:00Z</dcterms:created><cp:revision>7</cp:revision></cp:coreProperties>`,
  "docProps/app.xml": `<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Company>Acme Secret Corp</Company><TotalTime>94</TotalTime></Properties>`,
  "docProps/custom.xml": `<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Client"><vt:lpwstr>Secret client</vt:lpwstr></property></Properties>`,
  "word/document.xml": `<?xml version="1.0"?><w:document ${W}><w:body><w:p w:rsidR="00AB12CD" w:rsidRDefault="00AB12CD"><w:r><w:t>The paragraph stays.</w:t></w:r><w:ins w:id="1" w:author="Jane Author" w:date="2024-05-01T10:00:00Z"><w:r><w:t>Added later.</w:t></w:r></w:ins></w:p></w:body></w:document>`,
  "word/comments.xml": `<?xml version="1.0"?><w:comments ${W}><w:comment w:id="0" w:author="Jane Author" w:initials="JA" w:date="2024-05-01T10:00:00Z"><w:p><w:r><w:t>Check this figure.</w:t></w:r></w:p></w:comment></w:comments>`,
  "word/styles.xml": `<?xml version="1.0"?><w:styles ${W}><w:style w:styleId="Normal"><w:rsid w:val="00AB12CD"/></w:style></w:styles>`,
  "word/settings.xml": `<?xml version="1.0"?><w:settings ${W}><w:rsids><w:rsidRoot w:val="00AB12CD"/><w:rsid w:val="00AB12CD"/></w:rsids><w:zoom w:percent="100"/><w:attachedTemplate r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></w:settings>`,
  "word/_rels/settings.xml.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="file:///C:\\Users\\jane.author\\Normal.dotm" TargetMode="External"/></Relationships>`,
  "word/people.xml": `<?xml version="1.0"?><w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"><w15:person w15:author="Jane Author"><w15:presenceInfo w15:providerId="AD" w15:userId="jane@acme.example"/></w15:person></w15:people>`,
};

test("docx: properties, comment and revision authors, rsids and people are gone; paragraphs and comments stay", async () => {
  const original = zipSync(Object.fromEntries(Object.entries(docxParts).map(([k, v]) => [k, strToU8(v)])));
  const result = await cleanFile(new Blob([original]));
  assert.equal(result.format, "ooxml");
  for (const name of ["dc:creator", "cp:lastModifiedBy", "dcterms:created", "app:Company", "custom:Client"]) {
    assert.ok(result.removed.includes(name), name);
  }
  for (const name of ["CommentAuthors", "RevisionIDs", "People", "FilePath"])
    assert.ok(result.removed.includes(name), name);
  const parts = unzipSync(await blobBytes(result.bytes));
  assert.deepEqual(Object.keys(parts), Object.keys(docxParts), "every part kept, in order");
  const all = Object.values(parts)
    .map((p) => Buffer.from(p).toString("utf8"))
    .join("\n");
  for (const xml of Object.values(parts)) {
    const declarations =
      Buffer.from(xml)
        .toString("utf8")
        .match(/<\?xml/g) ?? [];
    assert.equal(declarations.length, 1, "one XML declaration");
  }
  for (const gone of [
    "Jane Author",
    "JA",
    "Acme",
    "Secret client",
    "rsid",
    "2024-05-01",
    "jane@acme",
    "w:date",
    "jane.author",
  ]) {
    assert.ok(!all.includes(gone), gone);
  }
  const text = Buffer.from(parts["word/document.xml"]).toString("utf8");
  assert.match(text, /The paragraph stays\.<\/w:t>/);
  assert.match(text, /Added later\./);
  assert.match(Buffer.from(parts["word/comments.xml"]).toString("utf8"), /Check this figure\./);
});

test("docx with nothing to remove: no names listed", async () => {
  const plain = zipSync({
    "[Content_Types].xml": strToU8(docxParts["[Content_Types].xml"]),
    "word/document.xml": strToU8(`<w:document ${W}><w:body><w:p><w:r><w:t>Hi</w:t></w:r></w:p></w:body></w:document>`),
  });
  const result = await cleanFile(new Blob([plain]));
  assert.deepEqual(result.removed, []);
});

test("ODF: meta.xml is emptied, annotation authors blanked, mimetype stays first and stored", async () => {
  const office = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"';
  const ns = `${office} xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"`;
  const original = zipSync({
    mimetype: [strToU8("application/vnd.oasis.opendocument.text"), { level: 0 }],
    "meta.xml": strToU8(
      `<office:document-meta ${ns}><office:meta><meta:initial-creator>Jane Author</meta:initial-creator><meta:generator>SecretOffice/7</meta:generator><meta:user-defined meta:name="Client">Secret client</meta:user-defined></office:meta></office:document-meta>`,
    ),
    "content.xml": strToU8(
      `<office:document-content ${ns}><office:body><office:text><text:p>Body stays<office:annotation><dc:creator>Jane Author</dc:creator><dc:date>2024-05-01</dc:date><text:p>note</text:p></office:annotation></text:p></office:text></office:body></office:document-content>`,
    ),
  });
  const result = await cleanFile(new Blob([original]));
  assert.equal(result.format, "odf");
  for (const name of ["meta:initial-creator", "meta:generator", "meta:user-defined: Client", "CommentAuthors"]) {
    assert.ok(result.removed.includes(name), name);
  }
  const out = await blobBytes(result.bytes);
  assert.equal(latin1(out.subarray(30, 38)), "mimetype", "the first entry");
  assert.equal(out[8], 0, "stored, not deflated");
  const parts = unzipSync(out);
  const all = Object.values(parts)
    .map((p) => Buffer.from(p).toString("utf8"))
    .join("\n");
  for (const gone of ["Jane Author", "SecretOffice", "Secret client", "2024-05-01"])
    assert.ok(!all.includes(gone), gone);
  assert.match(all, /Body stays/);
});

test("a zip that is neither OOXML nor ODF, and a damaged one, cannot be cleaned", async () => {
  assert.deepEqual(await cleanFile(new Blob([zipSync({ "a.txt": strToU8("hi") })])), { cannot: "unknown_type" });
  const broken = zipSync({ "[Content_Types].xml": strToU8("<Types") });
  assert.deepEqual(await cleanFile(new Blob([broken])), { cannot: "unreadable" });
});

test("removed fields of every format have a kind in plain words; a picture inside a document keeps its own", () => {
  const removed = ["Author", "IncrementalUpdates", "\u00a9xyz", "word/media/image1.jpeg: GPSLatitude", "custom:Client"];
  assert.deepEqual(metadataKinds(removed), ["location", "person", "text", "history"]);
  assert.deepEqual(metadataKinds(["Producer", "DocumentID", "CreationTime", "PieceInfo"]), [
    "software",
    "time",
    "identifier",
    "other",
  ]);
});

test("xlsx and pptx: comment authors, people and Excel's saved folder are gone, cells and slides stay", async () => {
  const types = `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`;
  const xlsx = zipSync({
    "[Content_Types].xml": strToU8(types),
    "xl/workbook.xml": strToU8(
      `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"><mc:AlternateContent><mc:Choice Requires="x15"><x15ac:absPath url="C:\\Users\\jane.whistle\\Documents\\"/></mc:Choice></mc:AlternateContent><sheets><sheet name="Ledger" sheetId="1"/></sheets></workbook>`,
    ),
    "xl/comments1.xml": strToU8(
      `<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>Jane Whistle</author></authors><commentList><comment ref="A1" authorId="0"><text><t>Wrong total</t></text></comment></commentList></comments>`,
    ),
    "xl/persons/person.xml": strToU8(
      `<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"><person displayName="Jane Whistle" id="{1}" userId="jane@acme.example" providerId="AD"/></personList>`,
    ),
  });
  const pptx = zipSync({
    "[Content_Types].xml": strToU8(types),
    "ppt/commentAuthors.xml": strToU8(
      `<p:cmAuthorLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cmAuthor id="1" name="Jane Whistle" initials="JW" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>`,
    ),
    "ppt/authors.xml": strToU8(
      `<p188:authorLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main"><p188:author id="{1}" name="Jane Whistle" initials="JW" userId="jane@acme.example" providerId="AD"/></p188:authorLst>`,
    ),
  });
  const cleanedX = await cleanFile(new Blob([xlsx]));
  assert.deepEqual(cleanedX.removed.sort(), ["CommentAuthors", "FilePath", "People"]);
  const cleanedP = await cleanFile(new Blob([pptx]));
  assert.deepEqual(cleanedP.removed.sort(), ["CommentAuthors", "People"]);
  for (const result of [cleanedX, cleanedP]) {
    const all = Object.values(unzipSync(await blobBytes(result.bytes)))
      .map((p) => Buffer.from(p).toString("utf8"))
      .join("\n");
    for (const gone of ["Jane Whistle", "jane", "JW"]) assert.ok(!all.includes(gone), gone);
    assert.ok(result === cleanedP || (all.includes("Wrong total") && all.includes('name="Ledger"')));
  }
});
