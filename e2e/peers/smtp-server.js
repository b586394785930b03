// A real SMTP server for tests: accepts every mail and writes each one, raw, as an .eml
// file into OUT_DIR. Usage: node smtp-server.js PORT OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const { SMTPServer } = require('smtp-server');

const port = Number(process.argv[2]);
const outDir = process.argv[3];
if (!port || !outDir) {
  console.error('usage: node smtp-server.js PORT OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
let count = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      count += 1;
      const file = path.join(outDir, `${Date.now()}-${count}.eml`);
      const rcpt = session.envelope.rcptTo.map((r) => r.address).join(',');
      fs.writeFileSync(file, `X-Envelope-To: ${rcpt}\r\n` + Buffer.concat(chunks).toString('utf8'));
      callback();
    });
  },
});
let listening = false;
// A failed listen (port taken) ends the process, so whoever started it is not left waiting.
server.on('error', (err) => {
  console.error('smtp-server error:', err.message);
  if (!listening) process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  listening = true;
  console.log(`listening ${port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
