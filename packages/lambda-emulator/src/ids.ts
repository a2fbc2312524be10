/** Identifiers shaped like the ones Lambda generates, so code that parses them behaves as in AWS. */
import { randomBytes, randomUUID } from 'node:crypto';

/** The account id in the ARNs of local functions: a placeholder that no real account has. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** A request id: a random UUID, as Lambda uses. */
export function newRequestId(): string {
  return randomUUID();
}

/** An X-Ray trace header value: `Root=1-<epoch seconds hex>-<96 random bits>;Parent=<64 bits>;Sampled=0`. */
export function newTraceId(nowMs = Date.now()): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${seconds}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

/** A log stream name as Lambda names one per execution environment: `YYYY/MM/DD/[$LATEST]<32 hex>`. */
export function newLogStreamName(version: string, now = new Date()): string {
  const date = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${date}/[${version}]${randomBytes(16).toString('hex')}`;
}

/** The ARN a function is invoked by (unqualified). */
export function functionArn(region: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
}
