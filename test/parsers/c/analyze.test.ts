import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { loadCParser } from '../../../app/c/language.js';
import { analyzeC, type CFacts, type FunctionErrors } from '../../../parsers/c/index.js';
import { prepareC } from '../../../parsers/c/preprocess.js';

const FIXTURE = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'c', 'mlock-shapes.c');

let parser: Parser;
beforeAll(async () => {
  parser = await loadCParser();
});

function facts(src: string): CFacts {
  return analyzeC(parser, src).value;
}

function errorsOf(v: CFacts, fn: string): FunctionErrors {
  const e = v.errors[fn];
  if (!e) throw new Error(`no error facts for ${fn}; have ${Object.keys(v.errors).join(', ')}`);
  return e;
}

/** [errnos, complete, unknownCalls] of one function, for compact exact assertions. */
function summary(src: string, fn: string): [string[], boolean, string[]] {
  const e = errorsOf(facts(src), fn);
  return [e.errnos.map((x) => x.errno), e.complete, e.unknownCalls];
}

/** 1-based line of the first line of `src` containing `needle`. */
function lineOf(src: string, needle: string, from = 1): number {
  const lines = src.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i]?.includes(needle)) return i + 1;
  throw new Error(`${needle} not found`);
}

describe('analyzeC: error sets by pattern', () => {
  const cases: Array<{ name: string; src: string; fn: string; want: [string[], boolean, string[]] }> = [
    {
      name: 'direct returns',
      fn: 'f',
      src: 'int f(int a)\n{\n\tif (a < 0)\n\t\treturn -EINVAL;\n\tif (a > 9)\n\t\treturn -ERANGE;\n\treturn 0;\n}\n',
      want: [['EINVAL', 'ERANGE'], true, []],
    },
    {
      name: 'a local assigned errnos reaching `return var`',
      fn: 'f',
      src: 'int f(int a)\n{\n\tint ret = -ENOMEM;\n\tif (a)\n\t\tret = -EBUSY;\n\treturn ret;\n}\n',
      want: [['EBUSY', 'ENOMEM'], true, []],
    },
    {
      name: 'an overwritten assignment does not reach the return',
      fn: 'f',
      src: 'int f(int a)\n{\n\tint ret = -EINVAL;\n\tret = 0;\n\tif (a)\n\t\tret = -EIO;\n\treturn ret;\n}\n',
      want: [['EIO'], true, []],
    },
    {
      name: 'error = -EX; if (...) goto out; with the label returning the variable',
      fn: 'f',
      src: `int f(int a, int b)
{
	int error;

	error = -EINVAL;
	if (a)
		goto out;
	error = -EFAULT;
	if (copy_from_user(&b, 0, 4))
		goto out;
	error = 0;
out:
	release_things();
	return error;
}
`,
      want: [['EFAULT', 'EINVAL'], true, []],
    },
    {
      name: 'goto out from inside a block that set the error',
      fn: 'f',
      src: `int f(int a)
{
	int ret = 0;

	if (a > 1) {
		ret = -E2BIG;
		goto out_unlock;
	}
	lock();
	if (!a) {
		ret = -ENOENT;
		goto out_unlock;
	}
	return 0;
out_unlock:
	unlock();
	return ret;
}
`,
      want: [['E2BIG', 'ENOENT'], true, []],
    },
    {
      name: 'conditional expression (the condition call does not reach the result)',
      fn: 'f',
      src: 'int f(void *p)\n{\n\treturn copy_to_user(p, 0, 4) ? -EFAULT : 0;\n}\n',
      want: [['EFAULT'], true, []],
    },
    {
      name: 'GNU ?: keeps the condition as a value',
      fn: 'f',
      src: 'static int g(void) { return -EIO; }\nint f(void)\n{\n\treturn g() ?: -ENODEV;\n}\n',
      want: [['EIO', 'ENODEV'], true, []],
    },
    {
      name: 'helper chain: return helper(), ret = helper(); ... return ret',
      fn: 'f',
      src: `static int check(int fd)
{
	return fd < 0 ? -EBADF : 0;
}

static int grab(int fd)
{
	int ret;

	ret = check(fd);
	if (ret)
		return ret;
	return fd > 100 ? -EMFILE : 0;
}

int f(int fd)
{
	return grab(fd);
}
`,
      want: [['EBADF', 'EMFILE'], true, []],
    },
    {
      name: 'an ignored call result contributes nothing',
      fn: 'f',
      src: 'static int noisy(void) { return -EIO; }\nint f(void)\n{\n\tnoisy();\n\tpopulate(0, 4);\n\treturn 0;\n}\n',
      want: [[], true, []],
    },
    {
      name: 'a call whose value is only tested contributes nothing',
      fn: 'f',
      src: 'int f(void)\n{\n\tif (try_it() < 0)\n\t\treturn -EAGAIN;\n\treturn 0;\n}\n',
      want: [['EAGAIN'], true, []],
    },
    {
      name: 'if (err == -EX) err = 0; removes EX',
      fn: 'f',
      src: `static int look(int k)
{
	if (k == 1)
		return -ENOENT;
	return k ? -EIO : 0;
}

int f(int k)
{
	int err = look(k);

	if (err == -ENOENT)
		err = 0;
	return err;
}
`,
      want: [['EIO'], true, []],
    },
    {
      name: 'unknown calls reaching the return make the set incomplete (known errnos are a lower bound)',
      fn: 'f',
      src: 'int f(int a)\n{\n\tif (!a)\n\t\treturn -EINVAL;\n\treturn vfs_do_thing(a);\n}\n',
      want: [['EINVAL'], false, ['vfs_do_thing']],
    },
    {
      name: 'unknown calls through a local and a same-file helper',
      fn: 'f',
      src: `static int mid(int a)
{
	int ret = other_subsystem_call(a);

	return ret;
}

int f(int a)
{
	int ret = mid(a);

	if (ret)
		return ret;
	return ops->finish(a);
}
`,
      want: [[], false, ['ops->finish', 'other_subsystem_call']],
    },
    {
      name: 'ERR_PTR / PTR_ERR carry errnos',
      fn: 'f',
      src: `static struct thing *make(int a)
{
	if (a)
		return ERR_PTR(-ENOMEM);
	return NULL;
}

int f(int a)
{
	struct thing *t = make(a);

	if (IS_ERR(t))
		return PTR_ERR(t);
	return 0;
}
`,
      want: [['ENOMEM'], true, []],
    },
    {
      name: 'loops: errors set inside loops, break and continue',
      fn: 'f',
      src: `int f(int n)
{
	int i, err = 0;

	for (i = 0; i < n; i++) {
		if (skip(i))
			continue;
		if (bad(i)) {
			err = -EIO;
			break;
		}
	}
	while (n--) {
		if (busy())
			return -EBUSY;
	}
	return err;
}
`,
      want: [['EBUSY', 'EIO'], true, []],
    },
    {
      name: 'switch with fall-through and default',
      fn: 'f',
      src: `int f(int cmd)
{
	int ret;

	switch (cmd) {
	case 1:
		ret = -ENOTTY;
		break;
	case 2:
	case 3:
		return -EPERM;
	default:
		ret = -EINVAL;
	}
	return ret;
}
`,
      want: [['EINVAL', 'ENOTTY', 'EPERM'], true, []],
    },
    {
      name: 'a backward goto (retry loop) reaches a fixpoint',
      fn: 'f',
      src: `int f(int a)
{
	int err = 0;
retry:
	if (a-- > 0) {
		err = -EAGAIN;
		goto retry;
	}
	if (a < -5)
		err = -ETIMEDOUT;
	return err;
}
`,
      want: [['EAGAIN', 'ETIMEDOUT'], true, []],
    },
    {
      name: 'an inner declaration shadows and goes out of scope',
      fn: 'f',
      src: `int f(int a)
{
	int err = -ENOSPC;

	if (a) {
		int err = -EROFS;

		use(err);
	}
	return err;
}
`,
      want: [['ENOSPC'], true, []],
    },
    {
      name: 'mutual recursion converges',
      fn: 'even',
      src: `static int odd(int n);
static int even(int n)
{
	if (n < 0)
		return -EDOM;
	return n ? odd(n - 1) : 0;
}
static int odd(int n)
{
	return n ? even(n - 1) : -ERANGE;
}
`,
      want: [['EDOM', 'ERANGE'], true, []],
    },
    {
      name: 'a statement-position loop macro parses as a loop',
      fn: 'f',
      src: `int f(struct list_head *head)
{
	struct item *it;

	list_for_each_entry(it, head, node) {
		if (it->dead)
			return -ESTALE;
	}
	return 0;
}
`,
      want: [['ESTALE'], true, []],
    },
    {
      name: 'container_of with a struct type argument parses',
      fn: 'f',
      src: `int f(struct kref *ref)
{
	struct item *it = container_of(ref, struct item, ref);
	unsigned long n = min_t(unsigned long, it->n, 8);

	if (!n)
		return -ENODATA;
	return 0;
}
`,
      want: [['ENODATA'], true, []],
    },
    {
      name: 'both #ifdef branches count',
      fn: 'f',
      src: `int f(int a)
{
#ifdef CONFIG_FOO
	if (a)
		return -ENODEV;
#else
	if (a)
		return -ENOSYS;
#endif
	return 0;
}
`,
      want: [['ENODEV', 'ENOSYS'], true, []],
    },
    {
      name: 'switch without default: the value before the switch survives',
      fn: 'f',
      src: `int f(int cmd)
{
	int ret = -EINVAL;

	switch (cmd) {
	case 1:
		ret = -ENOTTY;
		break;
	}
	return ret;
}
`,
      want: [['EINVAL', 'ENOTTY'], true, []],
    },
    {
      name: 'switch on an errno value narrows each case',
      fn: 'f',
      src: `static int inner(int a)
{
	return a ? -EFAULT : -EIO;
}
int f(int a)
{
	int err = inner(a);

	switch (err) {
	case -EFAULT:
		return -ENOMEM;
	default:
		return err;
	}
}
`,
      want: [['EFAULT', 'EIO', 'ENOMEM'], true, []],
    },
    {
      name: 'do { } for_each_x(...); and do_each_x { } while_each_x(...); are loops',
      fn: 'f',
      src: `int f(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	struct task_struct *g, *t;

	do {
		if (!vma)
			return -EFAULT;
	} for_each_vma_range(vmi, vma, end);

	do_each_thread(g, t) {
		if (t->dead)
			return -ESRCH;
	} while_each_thread(g, t);
	return 0;
}
`,
      want: [['EFAULT', 'ESRCH'], true, []],
    },
    {
      name: 'scoped_cond_guard keeps its failure statement; scoped_guard is a block',
      fn: 'f',
      src: `int f(struct thing *t)
{
	scoped_cond_guard(mutex_intr, return -EINTR, &t->lock) {
		if (t->busy)
			return -EBUSY;
	}
	scoped_guard(spinlock, &t->spin)
		t->n++;
	return 0;
}
`,
      want: [['EBUSY', 'EINTR'], true, []],
    },
    {
      name: 'declaration macros and case ranges inside a body parse',
      fn: 'f',
      src: `int f(int a)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 10);
	DECLARE_BITMAP(map, 64) = { 0 };

	switch (a) {
	case 1 ... 9:
		return -EDOM;
	}
	return 0;
}
`,
      want: [['EDOM'], true, []],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const r = analyzeC(parser, c.src);
      expect(r.value.functions.filter((f) => f.hasParseErrors).map((f) => f.name)).toEqual([]);
      expect(summary(c.src, c.fn)).toEqual(c.want);
    });
  }
});

describe('analyzeC: errno-translating helpers', () => {
  const translator = `static int to_posix(long retval)
{
	if (retval == -EFAULT)
		retval = -ENOMEM;
	else if (retval == -ENOMEM)
		retval = -EAGAIN;
	return retval;
}
`;

  it('maps the callee set: EFAULT -> ENOMEM, ENOMEM -> EAGAIN, others pass through', () => {
    const src = `${translator}
static int pin(int a)
{
	if (a == 1)
		return -EFAULT;
	if (a == 2)
		return -EBUSY;
	return 0;
}

int f(int a)
{
	int err = pin(a);

	if (err)
		return to_posix(err);
	return 0;
}
`;
    expect(summary(src, 'f')).toEqual([['EBUSY', 'ENOMEM'], true, []]);
    const v = facts(src);
    const enomem = errorsOf(v, 'f').errnos.find((e) => e.errno === 'ENOMEM');
    expect(enomem?.chain.map((c) => [c.fn, c.line])).toEqual([
      ['to_posix', lineOf(src, 'retval = -ENOMEM')],
      ['f', lineOf(src, 'return to_posix(err)')],
    ]);
  });

  it('a translated ENOMEM becomes EAGAIN and the original ENOMEM disappears', () => {
    const src = `${translator}
int f(int a)
{
	return to_posix(a ? -ENOMEM : -EIO);
}
`;
    expect(summary(src, 'f')).toEqual([['EAGAIN', 'EIO'], true, []]);
  });

  it('an unknown value through the translator may come out as either target, and stays unknown', () => {
    const src = `${translator}
int f(int a)
{
	int err = get_pages(a);

	return err ? to_posix(err) : 0;
}
`;
    expect(summary(src, 'f')).toEqual([['EAGAIN', 'ENOMEM'], false, ['get_pages']]);
    // ... but not as -EFAULT: the translation turned it away on the only open path
    const e = errorsOf(facts(src), 'f');
    expect(e.never).toEqual(['EFAULT']);
    expect(e.neverVia.EFAULT?.map((c) => [c.fn, c.line, c.text])).toEqual([
      ['to_posix', lineOf(src, 'if (retval == -EFAULT)'), 'if (retval == -EFAULT)'],
      ['f', lineOf(src, 'return err ? to_posix(err) : 0;'), 'return err ? to_posix(err) : 0;'],
    ]);
  });

  it('the translator on its own reports what it can produce', () => {
    expect(summary(translator, 'to_posix')).toEqual([['EAGAIN', 'ENOMEM'], true, []]);
  });

  it('a ternary translation works the same way', () => {
    const src = `static int squash(int e)
{
	return e == -ENOSPC ? -EFBIG : e;
}
int f(int a)
{
	return squash(a ? -ENOSPC : -EPERM);
}
`;
    expect(summary(src, 'f')).toEqual([['EFBIG', 'EPERM'], true, []]);
  });
});

describe('analyzeC: never (errnos turned away on every open path)', () => {
  const translator = `static int to_posix(long retval)
{
	if (retval == -EFAULT)
		retval = -ENOMEM;
	else if (retval == -ENOMEM)
		retval = -EAGAIN;
	return retval;
}
`;
  /** [errnos, complete, never] */
  function nev(src: string, fn: string): [string[], boolean, string[]] {
    const e = errorsOf(facts(src), fn);
    return [e.errnos.map((x) => x.errno), e.complete, e.never];
  }

  const cases: Array<{ name: string; src: string; fn: string; want: [string[], boolean, string[]] }> = [
    {
      name: 'an inline test: `if (err != -ENOENT) return err;`',
      fn: 'f',
      src: 'int f(int a)\n{\n\tint err = lookup(a);\n\n\tif (err != -ENOENT)\n\t\treturn err;\n\treturn 0;\n}\n',
      want: [[], false, ['ENOENT']],
    },
    {
      name: 'an inline translation: `if (err == -EFAULT) return -ENOMEM; return err;`',
      fn: 'f',
      src: 'int f(int a)\n{\n\tint err = pin(a);\n\n\tif (err == -EFAULT)\n\t\treturn -ENOMEM;\n\treturn err;\n}\n',
      want: [['ENOMEM'], false, ['EFAULT']],
    },
    {
      name: 'both tests of an `||` hold on the other branch',
      fn: 'f',
      src: 'int f(int a)\n{\n\tint err = pin(a);\n\n\tif (err == -EFAULT || err == -ENOMEM)\n\t\treturn -EAGAIN;\n\treturn err;\n}\n',
      want: [['EAGAIN'], false, ['EFAULT', 'ENOMEM']],
    },
    {
      name: 'a retry loop exits only when the value is not -EAGAIN',
      fn: 'f',
      src: 'int f(int a)\n{\n\tint err;\n\n\tdo {\n\t\terr = try_once(a);\n\t} while (err == -EAGAIN);\n\treturn err;\n}\n',
      want: [[], false, ['EAGAIN']],
    },
    {
      name: 'a branch that keeps the value untested empties it',
      fn: 'f',
      src: 'int f(int a)\n{\n\tint err = pin(a);\n\n\tif (a && err == -EFAULT)\n\t\treturn -ENOMEM;\n\treturn err;\n}\n',
      want: [['ENOMEM'], false, []],
    },
    {
      name: 'a second open path without the translation empties it (the intersection)',
      fn: 'f',
      src: `${translator}
int f(int a)
{
	int err = get_pages(a);

	if (a > 4)
		return other_call(a);
	return err ? to_posix(err) : 0;
}
`,
      want: [['EAGAIN', 'ENOMEM'], false, []],
    },
    {
      name: 'two open paths, each translated: the intersection keeps what both exclude',
      fn: 'f',
      src: `${translator}
int f(int a)
{
	int err = get_pages(a);

	if (err == -EIO)
		return -EBUSY;
	if (a > 4)
		return to_posix(other_call(a));
	return to_posix(err);
}
`,
      want: [['EAGAIN', 'EBUSY', 'ENOMEM'], false, ['EFAULT']],
    },
    {
      name: 'a known path that returns the errno keeps it out',
      fn: 'f',
      src: `${translator}
int f(int a)
{
	if (!a)
		return -EFAULT;
	return to_posix(get_pages(a));
}
`,
      want: [['EAGAIN', 'EFAULT', 'ENOMEM'], false, []],
    },
    {
      name: 'a switch default is not narrowed by its cases (conservative)',
      fn: 'f',
      src: 'int f(int a)\n{\n\tint err = pin(a);\n\n\tswitch (err) {\n\tcase -EFAULT:\n\t\treturn -ENOMEM;\n\tdefault:\n\t\treturn err;\n\t}\n}\n',
      want: [['ENOMEM'], false, []],
    },
    {
      name: 'a complete set has no `never` (the set says it all)',
      fn: 'f',
      src: `${translator}
int f(int a)
{
	return to_posix(a ? -EFAULT : -EIO);
}
`,
      want: [['EIO', 'ENOMEM'], true, []],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(nev(c.src, c.fn)).toEqual(c.want);
    });
  }

  it('same-file callers inherit it on the paths that return the callee value, with the call sites', () => {
    const src = `${translator}
static int populate(int a)
{
	int err = fault_in(a);

	if (err)
		return to_posix(err);
	return 0;
}

static int lock_range(int a)
{
	if (a < 0)
		return -EINVAL;
	return populate(a);
}

int sys_like(int a)
{
	return lock_range(a);
}

int sys_other(int a)
{
	if (a == 7)
		return vfs_thing(a);
	return lock_range(a);
}
`;
    const v = facts(src);
    const e = errorsOf(v, 'sys_like');
    expect([e.errnos.map((x) => x.errno), e.complete, e.unknownCalls, e.never]).toEqual([
      ['EAGAIN', 'EINVAL', 'ENOMEM'],
      false,
      ['fault_in'],
      ['EFAULT'],
    ]);
    expect(e.neverVia.EFAULT?.map((c) => [c.fn, c.text])).toEqual([
      ['to_posix', 'if (retval == -EFAULT)'],
      ['populate', 'return to_posix(err);'],
      ['lock_range', 'return populate(a);'],
      ['sys_like', 'return lock_range(a);'],
    ]);
    expect(errorsOf(v, 'sys_other').never).toEqual([]);
    expect(errorsOf(v, 'sys_other').neverVia).toEqual({});
  });

  it('a function with parse errors has none; a caller that translates its result keeps the exclusion', () => {
    const src = `${translator}
static int broken(int a)
{
	weird_macro(a) @@ [[ garbage ;
	return to_posix(fault_in(a));
}

int f(int a)
{
	return to_posix(broken(a));
}
`;
    const v = facts(src);
    expect(v.functions.find((f) => f.name === 'broken')?.hasParseErrors).toBe(true);
    expect(errorsOf(v, 'broken').never).toEqual([]);
    // broken() is opaque, yet its result passes to_posix() here: the exclusion holds
    expect(errorsOf(v, 'f').never).toEqual(['EFAULT']);
  });
});

describe('analyzeC: values the analysis does not follow make the set incomplete', () => {
  /** [errnos, complete, unknownValues] */
  function opaque(src: string, fn = 'f'): [string[], boolean, string[]] {
    const e = errorsOf(facts(src), fn);
    return [e.errnos.map((x) => x.errno), e.complete, e.unknownValues];
  }
  const cases: Array<[string, string, [string[], boolean, string[]]]> = [
    ['a struct field', 'int f(struct ctx *ctx)\n{\n\treturn ctx->err;\n}\n', [[], false, ['ctx->err']]],
    ['a member of a struct value', 'int f(struct ctx c)\n{\n\treturn c.err;\n}\n', [[], false, ['c.err']]],
    ['a dereference', 'int f(int *errp)\n{\n\treturn *errp;\n}\n', [[], false, ['*errp']]],
    ['an array element', 'int f(int i)\n{\n\treturn errs[i];\n}\n', [[], false, ['errs[i]']]],
    [
      'a field assigned to the returned variable',
      'int f(struct data *d)\n{\n\tint ret;\n\n\tret = (int)d->status;\n\tif (!ret)\n\t\tret = -EIO;\n\treturn ret;\n}\n',
      [['EIO'], false, ['d->status']],
    ],
    ['an object-like macro', 'int f(void)\n{\n\treturn MY_ERROR;\n}\n', [[], false, ['MY_ERROR']]],
    ['a negated macro', 'int f(void)\n{\n\treturn -MY_ERROR;\n}\n', [[], false, ['-MY_ERROR']]],
    [
      'a global, even one assigned in the function',
      'static int last_err;\nint f(int a)\n{\n\tif (a)\n\t\tlast_err = -EIO;\n\treturn last_err;\n}\n',
      [[], false, ['last_err']],
    ],
    [
      'a local written through its address by a same-file function',
      'static void fill(int *err)\n{\n\t*err = -ENOMEM;\n}\nint f(void)\n{\n\tint ret = 0;\n\n\tfill(&ret);\n\treturn ret;\n}\n',
      [[], false, ['fill(&ret)']],
    ],
    [
      'fields in conditions and in call arguments are not returned',
      'int f(struct ctx *c)\n{\n\tif (c->dead)\n\t\treturn -ESTALE;\n\treturn helper_ok(c->n) ? 0 : -EIO;\n}\n',
      [['EIO', 'ESTALE'], true, []],
    ],
    [
      'constants: NULL, booleans, positive errno names, numbers',
      'int f(int a)\n{\n\tif (a == 1)\n\t\treturn NULL;\n\tif (a == 2)\n\t\treturn true;\n\tif (a == 3)\n\t\treturn EINVAL;\n\treturn -1;\n}\n',
      [[], true, []],
    ],
    [
      'a local declared under #ifdef is a function-level local',
      'int f(int a)\n{\n#ifdef CONFIG_X\n\tint ret;\n#endif\n\tret = a ? -EINVAL : 0;\n\treturn ret;\n}\n',
      [['EINVAL'], true, []],
    ],
  ];
  for (const [name, src, want] of cases) {
    it(name, () => {
      expect(opaque(src)).toEqual(want);
    });
  }

  it('an unknown value that is translated still counts for `never`', () => {
    const src =
      'int f(struct ctx *c)\n{\n\tif (c->err == -EFAULT)\n\t\treturn -ENOMEM;\n\treturn c->err;\n}\n';
    // `c->err` is not a variable: the test does not narrow what the second read gives
    expect(errorsOf(facts(src), 'f').never).toEqual([]);
    const via =
      'int f(struct ctx *c)\n{\n\tint err = c->err;\n\n\tif (err == -EFAULT)\n\t\treturn -ENOMEM;\n\treturn err;\n}\n';
    expect(errorsOf(facts(via), 'f').never).toEqual(['EFAULT']);
  });
});

describe('analyzeC: errno names', () => {
  it('canonicalizes aliases and keeps the spelling in `written`', () => {
    const src = `int f(int a)
{
	if (a == 1)
		return -EWOULDBLOCK;
	if (a == 2)
		return -EDEADLOCK;
	if (a == 3)
		return -ENOTSUP;
	if (a == 4)
		return -ENOTSUPP;
	return 0;
}
`;
    const e = errorsOf(facts(src), 'f');
    expect(e.errnos.map((x) => [x.errno, x.written])).toEqual([
      ['EAGAIN', 'EWOULDBLOCK'],
      ['EDEADLK', 'EDEADLOCK'],
      ['ENOTSUPP', 'ENOTSUPP'],
      ['EOPNOTSUPP', 'ENOTSUP'],
    ]);
  });

  it('an alias and its canonical name are one fact', () => {
    const src = 'int f(int a)\n{\n\tif (a)\n\t\treturn -EAGAIN;\n\treturn -EWOULDBLOCK;\n}\n';
    expect(summary(src, 'f')).toEqual([['EAGAIN'], true, []]);
  });

  it('positive errno names and unknown E-names are not errnos', () => {
    const src = 'int f(int a)\n{\n\tif (a)\n\t\treturn EINVAL;\n\treturn -EFOOBAR;\n}\n';
    expect(summary(src, 'f')).toEqual([[], true, []]);
  });
});

describe('analyzeC: functions and SYSCALL_DEFINE', () => {
  const src = `static int helper(void)
{
	return -EIO;
}

int exported(void)
{
	return helper();
}

SYSCALL_DEFINE3(execve_like,
		const char __user *, filename,
		const char __user *const __user *, argv,
		const char __user *const __user *, envp)
{
	if (!filename)
		return -EFAULT;
	return exported();
}

COMPAT_SYSCALL_DEFINE2(thing, compat_uptr_t, uptr,
		       compat_size_t, len)
{
	return len ? -E2BIG : 0;
}

SYSCALL_DEFINE0(nothing)
{
	return -ENOSYS;
}

int after_them(void)
{
	return -EXDEV;
}
`;

  it('lists functions with lines and static-ness', () => {
    const v = facts(src);
    expect(
      v.functions.map((f) => [f.name, f.line, f.endLine, f.isStatic, f.isSyscall, f.hasParseErrors]),
    ).toEqual([
      ['helper', 1, 4, true, false, false],
      ['exported', 6, 9, false, false, false],
      ['sys_execve_like', 11, 19, false, true, false],
      ['compat_sys_thing', 21, 25, false, true, false],
      ['sys_nothing', 27, 30, false, true, false],
      ['after_them', 32, 35, false, false, false],
    ]);
  });

  it('reads multi-line SYSCALL_DEFINE parameters with their types', () => {
    const v = facts(src);
    expect(v.syscalls.map((s) => [s.name, s.fnName, s.arity, s.line, s.endLine])).toEqual([
      ['execve_like', 'sys_execve_like', 3, 11, 19],
      ['thing', 'compat_sys_thing', 2, 21, 25],
      ['nothing', 'sys_nothing', 0, 27, 30],
    ]);
    expect(v.syscalls[0]?.params).toEqual([
      { type: 'const char __user *', name: 'filename' },
      { type: 'const char __user *const __user *', name: 'argv' },
      { type: 'const char __user *const __user *', name: 'envp' },
    ]);
    expect(v.syscalls[1]?.params).toEqual([
      { type: 'compat_uptr_t', name: 'uptr' },
      { type: 'compat_size_t', name: 'len' },
    ]);
    expect(v.syscalls[0]?.macroText.split('\n')).toHaveLength(4);
    expect(v.syscalls[0]?.macroText.startsWith('SYSCALL_DEFINE3(execve_like,')).toBe(true);
  });

  it('keeps line numbers after a multi-line SYSCALL_DEFINE, with evidence from the input', () => {
    const v = facts(src);
    const e = errorsOf(v, 'sys_execve_like');
    expect(e.errnos.map((x) => x.errno)).toEqual(['EFAULT', 'EIO']);
    expect(e.errnos[0]?.chain).toEqual([{ fn: 'sys_execve_like', line: 17, text: 'return -EFAULT;' }]);
    expect(e.errnos[1]?.chain).toEqual([
      { fn: 'helper', line: 3, text: 'return -EIO;' },
      { fn: 'exported', line: 8, text: 'return helper();' },
      { fn: 'sys_execve_like', line: 18, text: 'return exported();' },
    ]);
    expect(errorsOf(v, 'after_them').errnos[0]?.chain[0]?.line).toBe(34);
    expect(summary(src, 'compat_sys_thing')).toEqual([['E2BIG'], true, []]);
    expect(summary(src, 'sys_nothing')).toEqual([['ENOSYS'], true, []]);
  });

  it('the rewrite never changes the number of lines', () => {
    expect(prepareC(src).text.split('\n')).toHaveLength(src.split('\n').length);
    const fixture = readFileSync(FIXTURE, 'utf8');
    expect(prepareC(fixture).text.split('\n')).toHaveLength(fixture.split('\n').length);
  });

  it('#if-chosen alternative headers in front of one body are one function', () => {
    const s = `#ifdef CONFIG_BACKWARDS
SYSCALL_DEFINE2(twin, int, b, long, a)
#else
SYSCALL_DEFINE2(twin, long, a,
		int, b)
#endif
{
	return a ? -EINVAL : 0;
}
`;
    const v = facts(s);
    expect(v.functions.map((f) => [f.name, f.line, f.endLine, f.isSyscall])).toEqual([
      ['sys_twin', 4, 9, true],
    ]);
    expect(v.syscalls.map((x) => [x.fnName, x.line, x.endLine, x.params.map((p) => p.name)])).toEqual([
      ['sys_twin', 2, 9, ['b', 'a']],
      ['sys_twin', 4, 9, ['a', 'b']],
    ]);
    expect(summary(s, 'sys_twin')).toEqual([['EINVAL'], true, []]);
  });

  it('compat_arg_u64_dual stands for two parameters', () => {
    const s =
      'COMPAT_SYSCALL_DEFINE4(ra, int, fd, compat_arg_u64_dual(offset), size_t, count)\n{\n\treturn -EBADF;\n}\n';
    const r = analyzeC(parser, s);
    expect(r.issues).toEqual([]);
    expect(r.value.syscalls[0]?.params.map((p) => p.name)).toEqual(['fd', 'offset_lo', 'offset_hi', 'count']);
  });

  it('reports a SYSCALL_DEFINE whose argument count does not match n', () => {
    const r = analyzeC(parser, 'SYSCALL_DEFINE2(odd, int, a)\n{\n\treturn 0;\n}\n', 'odd.c');
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([['c-syscall-define-args', 1]]);
  });

  it('several definitions of one name (#ifdef variants) are merged', () => {
    const s = `#ifdef CONFIG_X
static int pick(void) { return -ENODEV; }
#else
static inline int pick(void) { return -EOPNOTSUPP; }
#endif
int f(void) { return pick(); }
`;
    expect(facts(s).functions.filter((f) => f.name === 'pick')).toHaveLength(2);
    expect(summary(s, 'f')).toEqual([['ENODEV', 'EOPNOTSUPP'], true, []]);
  });
});

describe('loadCParser', () => {
  it('returns one shared parser', async () => {
    expect(await loadCParser()).toBe(parser);
  });
});

describe('analyzeC: what cannot be understood', () => {
  const broken = `static int broken(int a)
{
	if (a)
		return -EINVAL;
	weird_macro(a) @@ [[ garbage ;
	return -EIO;
}

int caller(int a)
{
	return broken(a);
}

int bystander(int a)
{
	broken(a);
	return -ENOENT;
}
`;

  it('a function with parse errors is incomplete, and keeps what it could read', () => {
    const r = analyzeC(parser, broken, 'broken.c');
    const fn = r.value.functions.find((f) => f.name === 'broken');
    expect(fn?.hasParseErrors).toBe(true);
    const e = errorsOf(r.value, 'broken');
    expect(e.complete).toBe(false);
    expect(e.errnos.map((x) => x.errno)).toContain('EINVAL');
    expect(r.issues.some((i) => i.code === 'c-function-parse-error' && i.line === 1)).toBe(true);
  });

  it('its callers are incomplete only when its result reaches their return value', () => {
    const v = facts(broken);
    expect(errorsOf(v, 'caller').complete).toBe(false);
    expect(errorsOf(v, 'caller').unknownCalls).toEqual([]);
    expect(summary(broken, 'bystander')).toEqual([['ENOENT'], true, []]);
  });

  it('never throws on odd input', () => {
    for (const s of [
      '',
      '}}}}',
      '{{{{',
      'int',
      'SYSCALL_DEFINE3(',
      'SYSCALL_DEFINE1(x, int',
      '\u0000\uffff',
      '#if\n',
    ]) {
      const r = analyzeC(parser, s);
      expect(r.value.functions).toBeInstanceOf(Array);
    }
  });
});

describe('fixtures/c/mlock-shapes.c', () => {
  const src = readFileSync(FIXTURE, 'utf8');

  it('parses cleanly', () => {
    const r = analyzeC(parser, src, 'mlock-shapes.c');
    expect(r.issues).toEqual([]);
    expect(r.value.functions.filter((f) => f.hasParseErrors)).toEqual([]);
    expect(r.value.syscalls.map((s) => [s.name, s.arity])).toEqual([
      ['mlock', 2],
      ['mlock2', 3],
      ['munlock', 2],
      ['mlockall', 1],
      ['munlockall', 0],
    ]);
  });

  it('mlockall: exactly EINVAL, EPERM, EINTR, ENOMEM (mm_populate ignored, no EAGAIN)', () => {
    const e = errorsOf(facts(src), 'sys_mlockall');
    expect(e.errnos.map((x) => x.errno)).toEqual(['EINTR', 'EINVAL', 'ENOMEM', 'EPERM']);
    expect(e.complete).toBe(true);
    expect(e.unknownCalls).toEqual([]);
    expect(e.errnos.find((x) => x.errno === 'ENOMEM')?.chain).toEqual([
      { fn: 'sys_mlockall', line: lineOf(src, 'ret = -ENOMEM;'), text: 'ret = -ENOMEM;' },
    ]);
    expect(e.errnos.find((x) => x.errno === 'EINTR')?.chain[0]?.line).toBe(
      lineOf(src, 'return -EINTR;', lineOf(src, 'SYSCALL_DEFINE1(mlockall')),
    );
  });

  it('munlockall: exactly EINTR', () => {
    expect(summary(src, 'sys_munlockall')).toEqual([['EINTR'], true, []]);
  });

  it('mlock: no EFAULT, EAGAIN via the POSIX translation, with chains', () => {
    const e = errorsOf(facts(src), 'sys_mlock');
    expect(e.errnos.map((x) => x.errno)).toEqual(['EAGAIN', 'EINTR', 'EINVAL', 'ENOMEM', 'EPERM']);
    expect(e.complete).toBe(false);
    expect(e.unknownCalls).toEqual(['__mm_populate', 'vma_modify_flags']);
    expect(e.unknownValues).toEqual([]);
    // vma_modify_flags()'s value reaches the return untranslated: EFAULT cannot be excluded
    expect(e.never).toEqual([]);
    expect(e.errnos.find((x) => x.errno === 'EAGAIN')?.chain.map((c) => c.fn)).toEqual([
      'posix_lock_error',
      'lock_user_range',
      'sys_mlock',
    ]);
    expect(e.errnos.find((x) => x.errno === 'EINVAL')?.chain.map((c) => [c.fn, c.text])).toEqual([
      ['set_range_lock_bits', 'return -EINVAL;'],
      ['lock_user_range', 'err = set_range_lock_bits(addr, size, bits);'],
      ['sys_mlock', 'return lock_user_range(start, len, VM_LOCKED);'],
    ]);
  });

  it('mlock2 adds its own EINVAL; munlock has no translation', () => {
    const v = facts(src);
    expect(errorsOf(v, 'sys_mlock2').errnos.find((x) => x.errno === 'EINVAL')?.chain).toHaveLength(1);
    expect(errorsOf(v, 'sys_mlock2').errnos.map((x) => x.errno)).toEqual([
      'EAGAIN',
      'EINTR',
      'EINVAL',
      'ENOMEM',
      'EPERM',
    ]);
    expect(summary(src, 'sys_munlock')).toEqual([['EINTR', 'EINVAL', 'ENOMEM'], false, ['vma_modify_flags']]);
  });

  it('mlock and mlock2 without the vma_modify_flags() path: EFAULT is never returned', () => {
    const edited = src.replace('\t\trc = PTR_ERR(merged);', '\t\trc = -ENOMEM;');
    expect(edited).not.toBe(src);
    const v = facts(edited);
    for (const fn of ['sys_mlock', 'sys_mlock2']) {
      const e = errorsOf(v, fn);
      expect([e.complete, e.unknownCalls, e.never]).toEqual([false, ['__mm_populate'], ['EFAULT']]);
      expect(e.neverVia.EFAULT?.map((c) => [c.fn, c.line])).toEqual([
        ['posix_lock_error', lineOf(edited, 'if (code == -EFAULT)')],
        ['lock_user_range', lineOf(edited, 'return posix_lock_error(err);')],
        [
          fn,
          lineOf(
            edited,
            'return lock_user_range(start, len,',
            lineOf(edited, `SYSCALL_DEFINE${fn === 'sys_mlock' ? 2 : 3}(mlock`),
          ),
        ],
      ]);
    }
    expect(errorsOf(v, 'sys_munlock').complete).toBe(true);
    expect(errorsOf(v, 'sys_mlockall').never).toEqual([]);
  });

  it('helpers: set_all_lock_bits returns no errno; the translator is a mapping', () => {
    expect(summary(src, 'set_all_lock_bits')).toEqual([[], true, []]);
    expect(summary(src, 'posix_lock_error')).toEqual([['EAGAIN', 'ENOMEM'], true, []]);
    expect(facts(src).functions.find((f) => f.name === 'posix_lock_error')?.isStatic).toBe(true);
  });

  it('random mutations of the fixture never throw and keep the result well-formed', () => {
    const lines = src.split('\n');
    const tokens = [
      '{',
      '}',
      '(',
      ')',
      ';',
      'goto out;',
      'out:',
      'return -EIO;',
      '#if X',
      '#endif',
      '"',
      '/*',
      '\\',
    ];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.nat({ max: 200 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...tokens) }),
      fc.record({ kind: fc.constant('junk' as const), at: fc.nat(), token: fc.string({ maxLength: 12 }) }),
      fc.record({ kind: fc.constant('dupline' as const), at: fc.nat(), len: fc.nat({ max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (muts) => {
        let text = src;
        for (const m of muts) {
          const at = m.at % (text.length + 1);
          if (m.kind === 'delete') text = text.slice(0, at) + text.slice(at + m.len);
          else if (m.kind === 'insert' || m.kind === 'junk')
            text = text.slice(0, at) + m.token + text.slice(at);
          else {
            const l = m.at % lines.length;
            const ls = text.split('\n');
            ls.splice(l, 0, ...ls.slice(l, l + m.len));
            text = ls.join('\n');
          }
        }
        const r = analyzeC(parser, text);
        expect(r.issues.filter((i) => i.code === 'c-internal-error')).toEqual([]);
        const nLines = text.split('\n').length;
        for (const f of r.value.functions) {
          expect(r.value.errors[f.name]).toBeDefined();
          expect(f.line).toBeLessThanOrEqual(f.endLine);
          expect(f.endLine).toBeLessThanOrEqual(nLines);
        }
        for (const e of Object.values(r.value.errors)) {
          for (const x of e.errnos) {
            expect(x.chain.length).toBeGreaterThan(0);
            for (const c of x.chain) expect(c.line).toBeGreaterThan(0);
          }
          if (e.unknownCalls.length > 0 || e.unknownValues.length > 0) expect(e.complete).toBe(false);
          if (e.complete) expect(e.never).toEqual([]);
          expect(Object.keys(e.neverVia).sort()).toEqual(e.never);
          for (const n of e.never) {
            expect(e.errnos.map((x) => x.errno)).not.toContain(n);
            expect(e.neverVia[n]?.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
