import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines without ever dropping data: multi-byte characters split across
 * chunks are decoded whole, a final line without a newline is still delivered by `end()`, and a
 * runaway line longer than `maxLine` is delivered in pieces flagged `overlong`.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';

  constructor(
    private readonly onLine: (line: string, overlong: boolean) => void,
    private readonly maxLine = 8 * 1024 * 1024,
  ) {}

  push(chunk: Buffer | string): void {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) !== -1) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      this.emit(line.endsWith('\r') ? line.slice(0, -1) : line, false);
    }
    while (this.buf.length > this.maxLine) {
      this.emit(this.buf.slice(0, this.maxLine), true);
      this.buf = this.buf.slice(this.maxLine);
    }
  }

  end(): void {
    this.buf += this.decoder.end();
    if (this.buf.length > 0) this.emit(this.buf, false);
    this.buf = '';
  }

  private emit(line: string, overlong: boolean): void {
    if (!overlong && line.trim().length === 0) return;
    this.onLine(line, overlong);
  }
}

/** Keeps only the last `max` characters of a stream (the stderr tail). */
export class TailBuffer {
  private text = '';
  constructor(private readonly max = 8192) {}
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.max * 2) this.text = this.text.slice(-this.max);
  }
  value(): string {
    return this.text.length > this.max ? this.text.slice(-this.max) : this.text;
  }
}
