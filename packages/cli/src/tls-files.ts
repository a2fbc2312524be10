/**
 * The certificate files of `broker start --tls-cert F --tls-key F [--tls-ca F]`: read at start and again on
 * every SIGHUP, so a renewed certificate (certbot, a mounted Kubernetes secret) is served without a restart.
 */
import { readFile, stat } from 'node:fs/promises';
import { systemErrorCode, UsageError } from './errors.js';

/** Largest certificate, key or CA file read, in bytes: PEM bundles are a few kilobytes. */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

/** The `--tls-*` options as given. */
export interface TlsFileOptions {
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
}

/** The files' contents, in the shape `startBroker({ tls })` and `handle.reloadTls()` take. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
}

/** Checks the flags go together: `--tls-cert` and `--tls-key` both or neither, `--tls-ca` only with them. */
export function wantsTls(options: TlsFileOptions): boolean {
  const { tlsCert, tlsKey, tlsCa } = options;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new UsageError(
      `${tlsCert === undefined ? '--tls-key' : '--tls-cert'} was given without ${tlsCert === undefined ? '--tls-cert' : '--tls-key'}`,
      'Pass both --tls-cert <file> and --tls-key <file> to serve TLS',
    );
  }
  if (tlsCa !== undefined && tlsCert === undefined) {
    throw new UsageError(
      '--tls-ca was given without --tls-cert and --tls-key',
      'Pass the certificate and key too',
    );
  }
  return tlsCert !== undefined;
}

async function readPem(path: string, flag: string): Promise<string> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${flag} ${path} is not a file`, 'Pass the path of a PEM file');
    size = info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${flag} ${path} (${systemErrorCode(error)})`, 'Check the path', {
      cause: error,
    });
  }
  if (size > MAX_TLS_FILE_BYTES) {
    throw new UsageError(
      `${flag} ${path} is ${size} bytes, more than a PEM file holds (at most ${MAX_TLS_FILE_BYTES})`,
      'Pass the PEM file itself',
    );
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${flag} ${path} (${systemErrorCode(error)})`,
      'Check the file permissions: the broker user must be able to read it',
      { cause: error },
    );
  }
}

/** Reads the files named by the flags; a missing or unreadable one is a `UsageError` naming the flag. */
export async function readTlsFiles(options: TlsFileOptions): Promise<TlsMaterial> {
  const cert = await readPem(options.tlsCert ?? '', '--tls-cert');
  const key = await readPem(options.tlsKey ?? '', '--tls-key');
  const ca = options.tlsCa === undefined ? undefined : await readPem(options.tlsCa, '--tls-ca');
  return { cert, key, ...(ca === undefined ? {} : { ca }) };
}
