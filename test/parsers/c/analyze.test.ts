import { describe, expect, it } from 'vitest';
import { analyzeC } from '../../../parsers/c/index.js';
import { errorsOf, facts, lineOf, parser, summary } from './analyze-test-helpers.js';

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
