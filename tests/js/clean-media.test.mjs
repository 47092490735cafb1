// The GIF and MP4 cleaners, and how the dispatcher tells formats apart, on
// files built here byte by byte with known metadata.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cleanFile, sniffFormat } from "../../frontend/src/lib/clean/index.js";

const bytesOf = async (b) => (b instanceof Uint8Array ? b : new Uint8Array(await b.arrayBuffer()));
const latin1 = (b) => Buffer.from(b).toString("latin1");
const cat = (...parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
const subBlocks = (text) => cat([text.length], Buffer.from(text, "latin1"), [0]);

function gifWithComment() {
  const header = cat(Buffer.from("GIF89a"), [1, 0, 1, 0, 0x80, 0, 0], [0, 0, 0, 255, 255, 255]);
  const loop = cat([0x21, 0xff, 11], Buffer.from("NETSCAPE2.0"), [3, 1, 0, 0, 0]);
  const comment = cat([0x21, 0xfe], subBlocks("Taken by Jane at Acme HQ"));
  const xmp = cat([0x21, 0xff, 11], Buffer.from("XMP DataXMP"), subBlocks("<x:xmpmeta>Jane</x:xmpmeta>"));
  const image = cat([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0], [2, 2, 0x4c, 0x01, 0]);
  return { gif: cat(header, loop, comment, xmp, image, [0x3b]), header, loop, image };
}

test("GIF: comment and XMP extensions are gone, the loop and the image stay byte for byte", async () => {
  const { gif, header, loop, image } = gifWithComment();
  const result = await cleanFile(new Blob([gif]));
  assert.equal(result.format, "gif");
  assert.deepEqual(result.removed.sort(), ["Comment", "XMP"]);
  assert.deepEqual(await bytesOf(result.bytes), cat(header, loop, image, [0x3b]));
});

test("GIF: a file cut short cannot be cleaned", async () => {
  const { gif } = gifWithComment();
  assert.deepEqual(await cleanFile(new Blob([gif.subarray(0, gif.length - 12)])), { cannot: "unreadable" });
});

const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const box = (type, ...body) => {
  const payload = cat(...body);
  return cat(u32(8 + payload.length), Buffer.from(type, "latin1"), payload);
};
const fullBox = (type, version, ...body) => box(type, [version, 0, 0, 0], ...body);

/** ftyp, mdat with the "video", then moov: a track whose stco points into mdat, udta with ©xyz, meta. */
function mp4WithLocation() {
  const ftyp = box("ftyp", Buffer.from("isom"), u32(512), Buffer.from("isomavc1"));
  const mdat = box("mdat", Buffer.from("VIDEO-SAMPLE-BYTES"));
  const sample = ftyp.length + 8;
  const times = cat(u32(3_800_000_000), u32(3_800_000_100));
  const stbl = box("stbl", fullBox("stco", 0, u32(1), u32(sample)));
  const trak = box(
    "trak",
    fullBox("tkhd", 0, times, Buffer.alloc(72)),
    box("mdia", fullBox("mdhd", 0, times, Buffer.alloc(12)), box("minf", stbl)),
  );
  const xyz = box("\u00a9xyz", [0, 18, 0x15, 0xc7], Buffer.from("+52.5200+013.4050/"));
  const meta = fullBox(
    "meta",
    0,
    fullBox("hdlr", 0, u32(0), Buffer.from("mdta"), Buffer.alloc(13)),
    box("keys", Buffer.from("com.apple.quicktime.make:Acme")),
  );
  const moov = box("moov", fullBox("mvhd", 0, times, Buffer.alloc(88)), trak, box("udta", xyz), meta);
  return cat(ftyp, mdat, moov);
}

test("MP4: udta (with ©xyz) and meta become free boxes of the same size, times are zeroed, sample offsets hold", async () => {
  const original = mp4WithLocation();
  const result = await cleanFile(new Blob([original]));
  assert.equal(result.format, "mp4");
  for (const name of ["udta", "\u00a9xyz", "meta", "keys", "CreationTime"])
    assert.ok(result.removed.includes(name), name);
  const out = await bytesOf(result.bytes);
  assert.equal(out.length, original.length);
  const text = latin1(out);
  for (const gone of ["+52.52", "xyz", "Acme", "udta", "meta"]) assert.ok(!text.includes(gone), gone);
  assert.equal((text.match(/free/g) ?? []).length, 2);
  // The one sample offset still points at the sample, and everything before moov is untouched.
  const stco = text.indexOf("stco");
  const offset = Buffer.from(out).readUInt32BE(stco + 12);
  assert.equal(text.slice(offset, offset + 12), "VIDEO-SAMPLE");
  assert.deepEqual(out.subarray(0, text.indexOf("moov")), original.subarray(0, text.indexOf("moov")));
  assert.ok(!text.includes(latin1(u32(3_800_000_000))), "creation times zeroed");
});

test("MP4 with nothing to remove lists nothing and is unchanged", async () => {
  const plain = cat(box("ftyp", Buffer.from("isom"), u32(0)), box("moov", fullBox("mvhd", 0, Buffer.alloc(96))));
  const result = await cleanFile(new Blob([plain]));
  assert.deepEqual(result.removed, []);
  assert.deepEqual(await bytesOf(result.bytes), plain);
});

test("MP4 whose box runs past the end cannot be cleaned", async () => {
  const broken = cat(box("ftyp", Buffer.from("isom"), u32(0)), u32(4096), Buffer.from("moov"));
  assert.deepEqual(await cleanFile(new Blob([broken])), { cannot: "unreadable" });
});

test("formats are told by their first bytes: HEIC and unknown files are named as not cleanable", async () => {
  const heic = box("ftyp", Buffer.from("heic"), u32(0), Buffer.from("mif1heic"));
  assert.equal(sniffFormat(heic), "heif");
  assert.deepEqual(await cleanFile(new Blob([heic])), { cannot: "heic" });
  assert.equal(sniffFormat(box("ftyp", Buffer.from("qt  "), u32(0))), "mp4");
  assert.equal(sniffFormat(box("ftyp", Buffer.from("mp42"), u32(0), Buffer.from("mp42isommif1"))), "mp4");
  assert.equal(sniffFormat(cat(u32(8), Buffer.from("wide"))), "mp4");
  assert.equal(sniffFormat(Buffer.from("%PDF-1.7\n")), "pdf");
  assert.equal(sniffFormat(Buffer.from("GIF87a")), "gif");
  assert.deepEqual(await cleanFile(new Blob(["plain text notes"])), { cannot: "unknown_type" });
});

test("MP4: only box headers and moov are read, so a long video is cleaned without holding it", async () => {
  /** A Blob that counts the bytes read from it through slices. */
  class CountingBlob extends Blob {
    read = 0;
    async arrayBuffer() {
      const buffer = await super.arrayBuffer();
      this.read += buffer.byteLength;
      return buffer;
    }
    slice(start, end) {
      const part = super.slice(start, end);
      const readAll = part.arrayBuffer.bind(part);
      part.arrayBuffer = async () => {
        const buffer = await readAll();
        this.read += buffer.byteLength;
        return buffer;
      };
      return part;
    }
  }
  const small = mp4WithLocation();
  const video = 16 * 1024 * 1024;
  const moovAt = latin1(small).indexOf("moov") - 4;
  const big = new CountingBlob([
    small.subarray(0, Buffer.from(small).readUInt32BE(0)), // ftyp
    cat(u32(8 + video), Buffer.from("mdat")),
    new Uint8Array(video),
    small.subarray(moovAt),
  ]);
  const result = await cleanFile(big);
  assert.ok(result.removed.includes("\u00a9xyz"));
  assert.equal(result.bytes.size, big.size);
  assert.ok(big.read < 4096, `read ${big.read} bytes`);
});
