/**
 * defineCheck: a check as ESLint defines a rule, typed. Its `meta.messages` keys are the message
 * ids `ctx.report` accepts (an unknown one is a compile error), and its `options` is a zod schema:
 * the config loader refuses what the schema does not accept, naming the check and the option
 * (ESLint's `meta.schema`), and `ctx.options` is what the schema gives, defaults applied.
 *
 * zod is not loaded to run a check: it costs a tenth of a second at every start of `check`, and
 * only a configuration file needs it. So a check gives its schema as a function of zod (made when
 * the config loader, or a caller with options of its own, asks: `optionsSchema`) and its defaults
 * as plain data; a test holds the defaults to the schema's (test/checks/define.test.ts). Options
 * reach `run` from the config loader, which refused every invalid one (or read them one by one
 * with `readOptions`), and are laid over the defaults.
 */
import type { z } from 'zod';
import type { Check, CheckContext, CheckMeta } from './types.js';

/** zod's namespace, as `import { z } from 'zod'` gives it. */
export type Zod = typeof z;

/** A check's options: an object of named options, each optional or with a default. */
export type OptionsSchema = z.ZodObject;

/** What defineCheck takes for options: the schema (made of zod when asked) and its defaults. */
export interface OptionsSpec<S extends OptionsSchema> {
  schema: (zod: Zod) => S;
  /** What the schema gives for `{}`. */
  defaults: z.output<S>;
}

type NoOptions = z.ZodObject<Record<string, never>>;

type Messages = Readonly<Record<string, string>>;

/** The context a check's `run` and its helpers see: its own message ids and its own options. */
export type RuleContext<M extends Messages, S extends OptionsSchema = NoOptions> = CheckContext<
  Extract<keyof M, string>,
  Readonly<z.output<S>>
>;

export interface CheckDefinition<M extends Messages, S extends OptionsSchema> {
  meta: Omit<CheckMeta, 'messages'> & { messages: M };
  options?: OptionsSpec<S>;
  run(ctx: RuleContext<M, S>): void;
}

/**
 * The options a check runs with, read one by one: each option the schema accepts as given, else
 * its default (for options that come another way than the config loader: the API, a test).
 */
export function readOptions<S extends OptionsSchema>(
  schema: S,
  raw: Readonly<Record<string, unknown>>,
): z.output<S> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const given = Object.hasOwn(raw, key) ? field.safeParse(raw[key]) : null;
    const r = given?.success ? given : field.safeParse(undefined);
    if (!r.success) throw new Error(`option ${key} is neither optional nor has a default`);
    if (r.data !== undefined) out[key] = r.data;
  }
  return out as z.output<S>;
}

/** A check's schema of options, made with `zod` (a check without options takes none). */
export function optionsSchema(check: Check, zod: Zod): OptionsSchema {
  return check.options ? check.options.schema(zod) : zod.strictObject({});
}

export function defineCheck<M extends Messages, S extends OptionsSchema = NoOptions>(
  def: CheckDefinition<M, S>,
): Check {
  const defaults = (def.options?.defaults ?? {}) as z.output<S>;
  // the configuration hands every file of a review the same options object
  const read = new WeakMap<object, z.output<S>>();
  return {
    meta: def.meta,
    ...(def.options ? { options: def.options as OptionsSpec<OptionsSchema> } : {}),
    run(ctx: CheckContext): void {
      let options = Object.keys(ctx.options).length === 0 ? defaults : read.get(ctx.options);
      if (options === undefined) {
        options = { ...defaults, ...ctx.options } as z.output<S>;
        read.set(ctx.options, options);
      }
      def.run({ unit: ctx.unit, framework: ctx.framework, options, report: ctx.report });
    },
  };
}

/**
 * What is wrong with a check's configured options, as `option: message` lines (`''` for the
 * options object itself); none when the schema accepts them. Unknown options are refused: a typo
 * would otherwise silently do nothing.
 */
export function optionProblems(check: Check, raw: unknown, zod: Zod): { option: string; message: string }[] {
  const r = optionsSchema(check, zod).strict().safeParse(raw);
  if (r.success) return [];
  return r.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ option: [...i.path, k].join('.'), message: 'unknown option' }))
      : [{ option: i.path.join('.'), message: i.message }],
  );
}
