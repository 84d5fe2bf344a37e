import { join } from 'node:path';
import { FileOutbox, MemoryOutbox } from '../helpers/memory-outbox.js';
import { senderSuite } from '../helpers/sender-suite.js';

senderSuite('the in-memory outbox', {
  open: (_dir, now) => new MemoryOutbox(now),
  persistent: false,
});

senderSuite('the file-backed outbox', {
  open: (dir, now) => new FileOutbox(join(dir, 'outbox.json'), now),
  persistent: true,
  childModule: join(import.meta.dirname, '..', 'helpers', 'memory-outbox.ts'),
});
