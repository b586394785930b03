// Reads the mail the real SMTP server (peers/smtp-server.js) received: one raw .eml file per
// message, its first line "X-Envelope-To: <recipients>".
import fs from 'node:fs';
import path from 'node:path';

export class Mailbox {
  constructor(dir) {
    this.dir = dir;
    this.read = new Set();
  }

  /** Waits (the outbox worker runs every 2 s) for the next unread mail to `to`. */
  async next(to, { subject, timeoutMs = 20000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const file of this.files()) {
        if (this.read.has(file)) continue;
        const mail = parse(fs.readFileSync(path.join(this.dir, file), 'utf8'));
        if (!mail.to.includes(to.toLowerCase())) continue;
        if (subject && !subject.test(mail.subject)) continue;
        this.read.add(file);
        return mail;
      }
      if (Date.now() > deadline) {
        throw new Error(`no mail to ${to}${subject ? ` matching ${subject}` : ''} within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The envelope recipients of one message file, without reading its body. */
  envelope(file) {
    const raw = fs.readFileSync(path.join(this.dir, file), 'utf8');
    return (raw.match(/^X-Envelope-To: (.*)$/m)?.[1] ?? '').toLowerCase();
  }

  files() {
    return fs.existsSync(this.dir) ? fs.readdirSync(this.dir).filter((f) => f.endsWith('.eml')).sort() : [];
  }
}

/** Envelope recipients, subject, the decoded text/plain body and the links in it. */
export function parse(raw) {
  const [head] = raw.split(/\r?\n\r?\n/);
  const to = (head.match(/^X-Envelope-To: (.*)$/m)?.[1] ?? '').toLowerCase().split(',');
  const subject = decodeWords(unfold(head).match(/^Subject: (.*)$/m)?.[1] ?? '');
  const text = bodyPart(raw, 'text/plain');
  const html = bodyPart(raw, 'text/html', { optional: true });
  const links = [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);
  return { to, subject, text, html, links, raw };
}

function unfold(head) {
  return head.replace(/\r?\n[ \t]+/g, ' ');
}

// RFC 2047 encoded words, as lettre writes non-ASCII subjects.
function decodeWords(s) {
  return s.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, enc, data) =>
    enc.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replace(/_/g, ' ')));
}

/** The decoded body of the message's part of `type` (text/plain or text/html). */
function bodyPart(raw, type, { optional = false } = {}) {
  const boundaries = [...raw.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((m) => m[1]);
  const parts = boundaries.length
    ? boundaries.flatMap((b) => raw.split(`--${b}`))
    : [raw.slice(raw.indexOf('\n\n') + 2)];
  const wanted = new RegExp(`content-type:\\s*${type.replace('/', '\\/')}`, 'i');
  const plain = parts.find((p) => wanted.test(p.split(/\r?\n\r?\n/)[0]));
  if (!plain && optional) return '';
  if (!plain) throw new Error(`no ${type} part in:\n${raw.slice(0, 2000)}`);
  const sep = plain.search(/\r?\n\r?\n/);
  const headers = unfold(plain.slice(0, sep));
  const body = plain.slice(sep).replace(/^\r?\n\r?\n/, '');
  const cte = headers.match(/content-transfer-encoding:\s*(\S+)/i)?.[1]?.toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function decodeQuotedPrintable(s) {
  const bytes = s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
