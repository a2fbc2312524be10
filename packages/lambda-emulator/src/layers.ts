/**
 * Lambda layers, locally: each layer (a zip file, as `PublishLayerVersion` takes it, or a folder) is extracted in
 * order into the environment's own `/opt`-like folder, later layers overwriting earlier ones, as Lambda does.
 * The zip reader is small on purpose: stored and deflated entries, Unix modes kept (an exec wrapper must stay
 * executable), and nothing written outside the folder (absolute names, `..` and links that leave it are refused).
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { LocalLambdaError } from './errors.js';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
/** The end record is 22 bytes plus a comment of at most 65,535. */
const MAX_END_RECORD_SEARCH = 22 + 0xffff;
const UNIX_CREATOR = 3;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/** One entry of a zip file. */
export interface ZipEntry {
  /** Its name in the archive, `/`-separated; folders end with `/`. */
  readonly name: string;
  /** Unix mode bits when the archive was made on Unix, else undefined. */
  readonly mode: number | undefined;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
  readonly data: Buffer;
}

function layerError(source: string, problem: string): LocalLambdaError {
  return new LocalLambdaError(
    'invalid-options',
    `The layer ${source} cannot be used: ${problem}.`,
    'Pass a layer zip as Lambda takes it (files under nodejs/, bin/, lib/ ...) or a folder with that layout.',
  );
}

/** Reads every entry of the zip `bytes` (from `source`, for messages). */
export function readZip(bytes: Buffer, source: string): ZipEntry[] {
  const searchFrom = Math.max(0, bytes.length - MAX_END_RECORD_SEARCH);
  let end = -1;
  for (let offset = bytes.length - 22; offset >= searchFrom; offset--) {
    if (bytes.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw layerError(source, 'it is not a zip file (no end of central directory)');
  const count = bytes.readUInt16LE(end + 10);
  const directoryOffset = bytes.readUInt32LE(end + 16);
  if (count === 0xffff || directoryOffset === 0xffffffff) {
    throw layerError(source, 'it is a ZIP64 archive, which this reader does not take');
  }
  const entries: ZipEntry[] = [];
  let offset = directoryOffset;
  for (let index = 0; index < count; index++) {
    if (offset + 46 > bytes.length || bytes.readUInt32LE(offset) !== CENTRAL_FILE_HEADER) {
      throw layerError(source, `its central directory is damaged at entry ${index + 1}`);
    }
    const madeBy = bytes.readUInt16LE(offset + 4) >> 8;
    const flags = bytes.readUInt16LE(offset + 8);
    const method = bytes.readUInt16LE(offset + 10);
    const crc = bytes.readUInt32LE(offset + 16);
    const compressedSize = bytes.readUInt32LE(offset + 20);
    const size = bytes.readUInt32LE(offset + 24);
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    const external = bytes.readUInt32LE(offset + 38);
    const localOffset = bytes.readUInt32LE(offset + 42);
    const name = bytes.toString(flags & 0x800 ? 'utf8' : 'latin1', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (flags & 0x1) throw layerError(source, `${name} is encrypted`);
    if (localOffset + 30 > bytes.length || bytes.readUInt32LE(localOffset) !== LOCAL_FILE_HEADER) {
      throw layerError(source, `the local header of ${name} is damaged`);
    }
    const dataStart =
      localOffset + 30 + bytes.readUInt16LE(localOffset + 26) + bytes.readUInt16LE(localOffset + 28);
    const compressed = bytes.subarray(dataStart, dataStart + compressedSize);
    if (compressed.length !== compressedSize) throw layerError(source, `${name} is cut short`);
    let data: Buffer;
    if (method === 0) data = Buffer.from(compressed);
    else if (method === 8) data = zlib.inflateRawSync(compressed);
    else
      throw layerError(
        source,
        `${name} uses compression method ${method} (only stored and deflated are read)`,
      );
    if (data.length !== size || zlib.crc32(data) !== crc) {
      throw layerError(source, `${name} does not match its recorded size and checksum`);
    }
    const mode = madeBy === UNIX_CREATOR && external >>> 16 !== 0 ? external >>> 16 : undefined;
    const isDirectory = name.endsWith('/') || (mode !== undefined && (mode & S_IFMT) === S_IFDIR);
    const isSymlink = mode !== undefined && (mode & S_IFMT) === S_IFLNK;
    entries.push({ name, mode, isDirectory, isSymlink, data });
  }
  return entries;
}

/** The path `name` takes under `root`, or an error when it would leave it. */
function placeUnder(root: string, name: string, source: string): string {
  const normalised = path.posix.normalize(name.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normalised) || normalised === '..' || normalised.startsWith('../')) {
    throw layerError(source, `the entry ${JSON.stringify(name)} would be written outside the layer folder`);
  }
  return path.join(root, ...normalised.split('/').filter(Boolean));
}

/** Extracts the zip `bytes` into `root`, overwriting what is there. */
export function extractZip(bytes: Buffer, root: string, source: string): void {
  for (const entry of readZip(bytes, source)) {
    const target = placeUnder(root, entry.name, source);
    if (entry.isDirectory) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    if (entry.isSymlink) {
      const linkTarget = entry.data.toString('utf8');
      const resolved = path.resolve(path.dirname(target), linkTarget);
      if (path.isAbsolute(linkTarget) || !(resolved === root || resolved.startsWith(`${root}${path.sep}`))) {
        throw layerError(source, `the link ${entry.name} points outside the layer folder (${linkTarget})`);
      }
      symlinkSync(linkTarget, target);
      continue;
    }
    writeFileSync(target, entry.data);
    // Lambda keeps the permission bits of layer files: an exec wrapper or a binary stays executable.
    chmodSync(target, entry.mode === undefined ? 0o644 : entry.mode & 0o777);
  }
}

/** Extracts or copies each layer, in order, into `optDir` (which must exist). */
export function installLayers(layers: readonly string[], optDir: string): void {
  for (const layer of layers) {
    if (typeof layer !== 'string' || layer === '') throw layerError(String(layer), 'the path is empty');
    const source = path.resolve(layer);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(source).isDirectory();
    } catch {
      throw layerError(source, 'it does not exist');
    }
    if (isDirectory) {
      cpSync(source, optDir, { recursive: true, force: true, verbatimSymlinks: true });
    } else {
      extractZip(readFileSync(source), optDir, source);
    }
  }
}

/** `/opt/...` as the function sees it, mapped into the local `/opt`-like folder. */
export function mapOptPath(file: string, optDir: string | undefined): string {
  if (optDir === undefined || !(file === '/opt' || file.startsWith('/opt/'))) return file;
  return path.join(optDir, file.slice('/opt'.length));
}
