import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BOTS,
  decideDelivery,
  defaultMailPolicy,
  globMatch,
  type IncomingFacts,
  type MailPolicy,
  mayAnswer,
  modeFor,
  parseCommands,
  type SendFacts,
  withSafetyHeaders,
} from '../../app/mail/policy.js';
import { addressOf } from '../../parsers/headers.js';
import { parseMailSync } from '../../parsers/mail.js';
import { makeMail } from '../helpers/mailgen.js';
import { BOT, LIST, OTHER_LIST, reply, testPolicy } from '../helpers/sender-suite.js';

const patch = (over: Partial<IncomingFacts> = {}): IncomingFacts => ({
  from: { name: 'Ada Example', address: 'ada@example.org' },
  autoSubmitted: null,
  mailer: 'git-send-email 2.47.1',
  subject: '[PATCH v2 1/3] frob: document sys_frob errors',
  ...over,
});

const idle: SendFacts = { stopped: false, sentLastDay: 0, sentLastDayByList: {} };

describe('addresses and patterns', () => {
  it('reads the addr-spec out of the usual forms, lower-cased', () => {
    expect(addressOf('Ada Example <Ada@Example.org>')).toBe('ada@example.org');
    expect(addressOf('"Doe, Jane" <jane@example.org>')).toBe('jane@example.org');
    expect(addressOf(' bot@kapi.example.org ')).toBe('bot@kapi.example.org');
    expect(addressOf({ name: 'x', address: 'X@Y.org' })).toBe('x@y.org');
    expect(addressOf(null)).toBe('');
  });

  it('globs: anchored, case-insensitive, * for any run, everything else literal', () => {
    expect(globMatch('syzbot*@*', 'syzbot+1a2b@syzkaller.appspotmail.com')).toBe(true);
    expect(globMatch('lkp@intel.com', 'LKP@intel.com')).toBe(true);
    expect(globMatch('lkp@intel.com', 'xlkp@intel.com')).toBe(false);
    expect(globMatch('a.b@c', 'axb@c')).toBe(false);
    expect(globMatch('*@example.org', 'ada@example.org.evil')).toBe(false);
  });
});

describe('mayAnswer: which mail the bot answers at all', () => {
  const policy = defaultMailPolicy(BOT);

  it('a patch from a person: yes', () => {
    expect(mayAnswer(patch(), policy)).toEqual({ ok: true, reasons: ['no rule refuses it'] });
  });

  it('our own mail, by From or by X-Mailer', () => {
    expect(mayAnswer(patch({ from: `kapi-review <${BOT.toUpperCase()}>` }), policy)).toEqual({
      ok: false,
      reasons: [`it is our own mail (From ${BOT})`],
    });
    expect(mayAnswer(patch({ mailer: 'kapi-review 0.1.0' }), policy).reasons).toEqual([
      'it is our own mail (X-Mailer: kapi-review 0.1.0)',
    ]);
    expect(mayAnswer(patch({ mailer: 'not-kapi-review' }), policy).ok).toBe(true);
  });

  it('Auto-Submitted other than no', () => {
    for (const value of [
      'auto-generated',
      'auto-replied',
      'auto-notified; owner-email="x@y"',
      'Auto-Generated',
    ])
      expect(mayAnswer(patch({ autoSubmitted: value }), policy).reasons).toEqual([
        `it is automated (Auto-Submitted: ${value})`,
      ]);
    expect(mayAnswer(patch({ autoSubmitted: 'no' }), policy).ok).toBe(true);
    expect(mayAnswer(patch({ autoSubmitted: ' No ' }), policy).ok).toBe(true);
  });

  it('known bots by address', () => {
    const cases: [string, string][] = [
      ['kernel test robot <lkp@intel.com>', 'kernel test robot'],
      ['syzbot <syzbot+3f2c1e@syzkaller.appspotmail.com>', 'syzbot'],
      ['patchwork-bot+netdevbpf@kernel.org', 'patchwork'],
      ['bot@kernelci.org', 'KernelCI'],
      ['pr-tracker-bot@kernel.org', 'pr-tracker-bot'],
      ['Mail Delivery System <MAILER-DAEMON@mx.example.org>', 'mailer-daemon'],
      ['GitHub <noreply@github.com>', 'no-reply address'],
      ['no-reply@example.org', 'no-reply address'],
    ];
    for (const [from, bot] of cases)
      expect(mayAnswer(patch({ from }), policy).reasons, from).toEqual([
        `it comes from a known bot (${bot})`,
      ]);
  });

  it('b4 ty: a b4 reply is a bot, a patch sent with b4 is not', () => {
    expect(
      mayAnswer(patch({ mailer: 'b4 0.14.2', subject: 'Re: [PATCH v2 0/3] frob' }), policy).reasons,
    ).toEqual(['it comes from a known bot (b4 ty)']);
    expect(mayAnswer(patch({ mailer: 'b4 0.14.2' }), policy).ok).toBe(true);
  });

  it('the bot list is configuration', () => {
    const custom: MailPolicy = { ...policy, bots: [{ name: 'our CI', from: 'ci@example.org' }] };
    expect(mayAnswer(patch({ from: 'ci@example.org' }), custom).reasons).toEqual([
      'it comes from a known bot (our CI)',
    ]);
    expect(mayAnswer(patch({ from: 'lkp@intel.com' }), custom).ok).toBe(true);
    // a rule without patterns matches nothing rather than everything
    expect(mayAnswer(patch(), { ...policy, bots: [{ name: 'empty' }] }).ok).toBe(true);
    expect(DEFAULT_BOTS.map((b) => b.name)).toContain('b4 ty');
  });

  it('opted-out authors, and mail without a From', () => {
    const p = { ...policy, optOut: ['*@example.org'] };
    expect(mayAnswer(patch(), p).reasons).toEqual(['ada@example.org opted out']);
    expect(mayAnswer(patch({ from: null }), policy).reasons).toEqual(['the mail has no From address']);
  });

  it('every reason that applies is given', () => {
    const m = patch({ from: 'lkp@intel.com', autoSubmitted: 'auto-generated' });
    expect(mayAnswer(m, { ...policy, optOut: ['lkp@*'] }).reasons).toEqual([
      'it is automated (Auto-Submitted: auto-generated)',
      'it comes from a known bot (kernel test robot)',
      'lkp@intel.com opted out',
    ]);
  });

  it('takes a parsed mail as it is', () => {
    const raw = makeMail({
      subject: '[PATCH] frob',
      from: 'kernel test robot <lkp@intel.com>',
      headers: { 'Auto-Submitted': 'auto-generated' },
      body: 'hi',
    });
    expect(mayAnswer(parseMailSync(raw).value, policy).ok).toBe(false);
  });
});

describe('modeFor', () => {
  it('unlisted mail gets the default mode (dry-run unless configured)', () => {
    expect(modeFor(reply(1), defaultMailPolicy(BOT))).toMatchObject({ mode: 'dry-run', lists: [] });
  });

  it('a listed address, compared without case', () => {
    const p = testPolicy({ lists: [{ address: 'Linux-Frob@Example.org', mode: 'author-only' }] });
    expect(modeFor(reply(1), p)).toEqual({
      mode: 'author-only',
      lists: p.lists,
      reason: `list ${LIST} (author-only)`,
    });
  });

  it('several lists: the most restrictive mode', () => {
    const p = testPolicy({
      lists: [
        { address: LIST, mode: 'list' },
        { address: OTHER_LIST, mode: 'reflect' },
      ],
    });
    expect(modeFor(reply(1, { cc: [LIST, OTHER_LIST] }), p)).toMatchObject({
      mode: 'reflect',
      reason: `most restrictive of ${LIST} (list), ${OTHER_LIST} (reflect)`,
    });
  });
});

describe('decideDelivery', () => {
  it('list: as built', () => {
    const d = decideDelivery(reply(1), testPolicy(), idle);
    expect(d).toMatchObject({
      action: 'send',
      mode: 'list',
      recipients: ['ada@example.org', LIST],
      removed: [],
    });
  });

  it('author-only: lists leave To and Cc goes', () => {
    const p = testPolicy({ lists: [{ address: LIST, mode: 'author-only' }] });
    const d = decideDelivery(
      reply(1, { to: ['Ada <ada@example.org>', LIST], cc: ['m@example.org'] }),
      p,
      idle,
    );
    expect(d).toMatchObject({ action: 'send', mode: 'author-only', recipients: ['ada@example.org'] });
    if (d.action === 'send') expect([d.mail.to, d.mail.cc]).toEqual([['Ada <ada@example.org>'], []]);
  });

  it('author-only with nobody but lists in To: dropped', () => {
    const p = testPolicy({ lists: [{ address: LIST, mode: 'author-only' }] });
    expect(decideDelivery(reply(1, { to: [LIST], cc: [] }), p, idle)).toEqual({
      action: 'drop',
      reason: 'author-only: no To recipient left (only lists were in To)',
    });
  });

  it('reflect: to the operator, original recipients in the text, same threading', () => {
    const p = testPolicy({ lists: [{ address: LIST, mode: 'reflect' }] });
    const long = Array.from({ length: 5 }, (_, i) => `Maintainer Number${i} <maintainer${i}@example.org>`);
    const d = decideDelivery(reply(1, { cc: [LIST, ...long] }), p, idle);
    expect(d).toMatchObject({ action: 'send', mode: 'reflect', recipients: ['op@kapi.example.org'] });
    if (d.action !== 'send') return;
    expect(d.mail).toMatchObject({
      to: ['Op Erator <op@kapi.example.org>'],
      cc: [],
      messageId: reply(1).messageId,
      inReplyTo: reply(1).inReplyTo,
      references: reply(1).references,
    });
    const head = d.mail.text.split('\n\n')[0]?.split('\n') ?? [];
    for (const line of head) expect(line.length).toBeLessThanOrEqual(72);
    expect(head.join('\n')).toContain('Original-To: Ada Example <ada@example.org>');
    expect(head.join(' ').replace(/\s+/g, ' ')).toContain(
      `Original-Cc: ${[LIST, ...long].join(', ')}`.replace(/\s+/g, ' '),
    );
  });

  it('reflect without an operator falls back to dry-run', () => {
    const p = testPolicy({ operator: null, lists: [{ address: LIST, mode: 'reflect' }] });
    expect(decideDelivery(reply(1), p, idle)).toMatchObject({
      action: 'dry-run',
      reason: `dry-run: reflect mode (list ${LIST} (reflect)) but no operator address is set`,
    });
  });

  it('dry-run: the mail unchanged', () => {
    const d = decideDelivery(reply(1), testPolicy({ lists: [] }), idle);
    expect(d).toEqual({
      action: 'dry-run',
      mail: reply(1),
      reason: 'dry-run: no configured list among the recipients',
    });
  });

  it('the stop file holds everything, dry-run included', () => {
    for (const p of [testPolicy(), testPolicy({ lists: [] })])
      expect(decideDelivery(reply(1), p, { ...idle, stopped: true })).toEqual({
        action: 'hold',
        reason: 'the emergency stop file exists',
        everything: true,
      });
  });

  it('caps: global and per list, at the cap and not below; dry-run is not capped', () => {
    const p = testPolicy({ dailyCap: 10, lists: [{ address: LIST, mode: 'list', dailyCap: 3 }] });
    expect(
      decideDelivery(reply(1), p, { ...idle, sentLastDay: 9, sentLastDayByList: { [LIST]: 2 } }).action,
    ).toBe('send');
    expect(decideDelivery(reply(1), p, { ...idle, sentLastDay: 10 })).toEqual({
      action: 'hold',
      reason: 'the daily cap of 10 mails is reached',
      everything: true,
    });
    expect(decideDelivery(reply(1), p, { ...idle, sentLastDayByList: { [LIST]: 3 } })).toEqual({
      action: 'hold',
      reason: `the daily cap of 3 mails to ${LIST} is reached`,
      everything: false,
    });
    // mail to another list is not held by this list's cap
    expect(
      decideDelivery(
        reply(1, { cc: [OTHER_LIST] }),
        { ...p, defaultMode: 'list' },
        {
          ...idle,
          sentLastDayByList: { [LIST]: 3 },
        },
      ).action,
    ).toBe('send');
    expect(decideDelivery(reply(1), { ...p, lists: [] }, { ...idle, sentLastDay: 99 }).action).toBe(
      'dry-run',
    );
  });

  it('opt-out: removed from To and Cc; nobody left in To drops the mail', () => {
    const p = testPolicy({ optOut: ['m@example.org'] });
    const d = decideDelivery(reply(1, { cc: [LIST, 'M <M@example.org>'] }), p, idle);
    expect(d).toMatchObject({
      action: 'send',
      recipients: ['ada@example.org', LIST],
      removed: ['m@example.org'],
    });
    expect(d.action === 'send' && d.reason.endsWith('left out (opted out): m@example.org')).toBe(true);
    expect(decideDelivery(reply(1), testPolicy({ optOut: ['ada@example.org'] }), idle)).toEqual({
      action: 'drop',
      reason: 'list: no To recipient left (ada@example.org opted out)',
    });
  });

  it('duplicate recipients go once', () => {
    const d = decideDelivery(
      reply(1, { to: ['ada@example.org', 'Ada <ADA@example.org>'], cc: ['ada@example.org', LIST] }),
      testPolicy(),
      idle,
    );
    expect(d).toMatchObject({ recipients: ['ada@example.org', LIST] });
  });

  it('malformed mail is dropped with every problem named', () => {
    const d = decideDelivery(
      reply(1, { from: 'nobody', to: [], messageId: 'no-at-sign' }),
      testPolicy(),
      idle,
    );
    expect(d).toEqual({
      action: 'drop',
      reason:
        'malformed mail: From "nobody" is not an address; no To address; Message-ID "no-at-sign" is malformed',
    });
  });
});

describe('withSafetyHeaders', () => {
  it('every mail says it is automated, whatever the builder wrote', () => {
    const h = (headers: Record<string, string>) => withSafetyHeaders(reply(1, { headers })).headers;
    expect(h({})).toEqual({ 'Auto-Submitted': 'auto-generated', 'X-Mailer': 'kapi-review' });
    expect(h({ 'auto-submitted': 'No', 'X-MAILER': 'mutt' })).toEqual({
      'Auto-Submitted': 'auto-generated',
      'X-Mailer': 'kapi-review',
    });
    expect(h({ 'Auto-Submitted': 'auto-replied', 'X-Mailer': 'kapi-review 0.1.0', 'X-Other': 'x' })).toEqual({
      'Auto-Submitted': 'auto-replied',
      'X-Mailer': 'kapi-review 0.1.0',
      'X-Other': 'x',
    });
    expect(h({ 'X-Mailer': 'kapi-review\r\nBcc: x@y' })['X-Mailer']).toBe('kapi-review');
  });

  it('decideDelivery applies them to what it sends and writes', () => {
    const d = decideDelivery(reply(1, { headers: { 'Auto-Submitted': 'no' } }), testPolicy(), idle);
    expect(d.action === 'send' && d.mail.headers['Auto-Submitted']).toBe('auto-generated');
  });
});

describe('parseCommands', () => {
  const ctx = {
    author: 'Ada Example <ada@example.org>',
    maintainers: ['maint@example.org', '*@frob-maintainers.org'],
  };
  const body = (...lines: string[]) => lines.join('\n');

  it('the author may ignore a check (with or without a subject) and mute', () => {
    const r = parseCommands(
      body(
        'Thanks for the review.',
        '',
        'kapi-review: ignore kapi-errno-alias EPERM',
        'kapi-review: ignore kapi-deprecated-form',
        '  kapi-review: mute',
      ),
      'Ada Example <ada@example.org>',
      ctx,
    );
    expect(r).toEqual({
      accepted: [
        { kind: 'ignore', check: 'kapi-errno-alias', subject: 'EPERM', line: 3 },
        { kind: 'ignore', check: 'kapi-deprecated-form', subject: null, line: 4 },
        { kind: 'mute', line: 5 },
      ],
      refused: [],
    });
  });

  it('a maintainer may too (address or glob); a stranger may not', () => {
    expect(parseCommands('kapi-review: mute', 'maint@example.org', ctx).accepted).toHaveLength(1);
    expect(
      parseCommands('kapi-review: mute', { name: 'X', address: 'x@Frob-Maintainers.org' }, ctx).accepted,
    ).toHaveLength(1);
    expect(parseCommands('kapi-review: mute', 'Mallory <mallory@example.com>', ctx)).toEqual({
      accepted: [],
      refused: [
        {
          line: 1,
          text: 'kapi-review: mute',
          reason: 'mallory@example.com is neither the patch author nor a maintainer',
        },
      ],
    });
    expect(parseCommands('kapi-review: mute', null, ctx).refused[0]?.reason).toBe(
      'the mail has no From address to authorise the command',
    );
    expect(
      parseCommands('kapi-review: mute', 'ada@example.org', { ...ctx, author: null }).refused,
    ).toHaveLength(1);
  });

  it('quoted commands are not commands', () => {
    const r = parseCommands(
      body(
        'On Tue, kapi-review wrote:',
        '> kapi-review: mute',
        '>> kapi-review: ignore kapi-errno-alias',
        ' > kapi-review: mute',
        '>kapi-review: mute',
        '',
        'I fixed it in v3.',
      ),
      'ada@example.org',
      ctx,
    );
    expect(r).toEqual({ accepted: [], refused: [] });
  });

  it('nor mentions inside a sentence, nor lines below a signature or a forwarded original', () => {
    const r = parseCommands(
      body(
        'You can say kapi-review: mute to silence it.',
        '',
        '-----Original Message-----',
        'kapi-review: mute',
      ),
      'ada@example.org',
      ctx,
    );
    expect(r).toEqual({ accepted: [], refused: [] });
    expect(parseCommands(body('Ada', '-- ', 'kapi-review: mute'), 'ada@example.org', ctx).accepted).toEqual(
      [],
    );
    expect(
      parseCommands(
        body('hi', '________________________________', 'kapi-review: mute'),
        'ada@example.org',
        ctx,
      ).accepted,
    ).toEqual([]);
  });

  it('case does not matter; check ids are normalised, subjects kept as written', () => {
    const r = parseCommands(
      'KAPI-Review:IGNORE KAPI-Errno-Alias EPerm\r\nKapi-review:   MUTE  \r\n',
      'ADA@example.org',
      ctx,
    );
    expect(r.accepted).toEqual([
      { kind: 'ignore', check: 'kapi-errno-alias', subject: 'EPerm', line: 1 },
      { kind: 'mute', line: 2 },
    ]);
  });

  it('refuses what it cannot do, with a reason and the line', () => {
    const r = parseCommands(
      body(
        'kapi-review: ignore kapi-no-such-check',
        'kapi-review: ignore',
        'kapi-review: mute please',
        'kapi-review: unsubscribe',
        'kapi-review:',
        'kapi-review: ignore <check-id>',
      ),
      'ada@example.org',
      ctx,
    );
    expect(r.accepted).toEqual([]);
    expect(r.refused).toEqual([
      {
        line: 1,
        text: 'kapi-review: ignore kapi-no-such-check',
        reason: 'unknown check id "kapi-no-such-check"',
      },
      {
        line: 2,
        text: 'kapi-review: ignore',
        reason: 'ignore needs a check id, e.g. "kapi-review: ignore kapi-errno-alias"',
      },
      { line: 3, text: 'kapi-review: mute please', reason: 'mute takes no arguments' },
      {
        line: 4,
        text: 'kapi-review: unsubscribe',
        reason: 'unknown command "unsubscribe" (known: ignore, mute)',
      },
      { line: 5, text: 'kapi-review:', reason: 'no command after "kapi-review:" (known: ignore, mute)' },
      { line: 6, text: 'kapi-review: ignore <check-id>', reason: 'unknown check id "<check-id>"' },
    ]);
  });

  it('the known checks can be given', () => {
    const r = parseCommands('kapi-review: ignore my-check', 'ada@example.org', {
      ...ctx,
      checks: ['my-check'],
    });
    expect(r.accepted).toEqual([{ kind: 'ignore', check: 'my-check', subject: null, line: 1 }]);
    expect(
      parseCommands('kapi-review: ignore kapi-errno-alias', 'ada@example.org', {
        ...ctx,
        checks: ['my-check'],
      }).refused,
    ).toHaveLength(1);
  });
});
