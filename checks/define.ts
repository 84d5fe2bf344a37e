/**
 * defineCheck: a check as ESLint defines a rule, typed. Its `meta.messages` keys are the message
 * ids `ctx.report` accepts (an unknown one is a compile error), and its `options` is a zod schema:
 * the config loader refuses what the schema does not accept, naming the check and the option
 * (ESLint's `meta.schema`), and `ctx.options` is what the schema gives, defaults applied.
 */
import { z } from 'zod';
import type { Check, CheckContext, CheckMeta } from './types.js';

/** A check's options: an object of named options, each optional or with a default. */
export type OptionsSchema = z.ZodObject;

const NO_OPTIONS = z.strictObject({});
type NoOptions = typeof NO_OPTIONS;

type Messages = Readonly<Record<string, string>>;

/** The context a check's `run` and its helpers see: its own message ids and its own options. */
export type RuleContext<M extends Messages, S extends OptionsSchema = NoOptions> = CheckContext<
  Extract<keyof M, string>,
  Readonly<z.output<S>>
>;

export interface CheckDefinition<M extends Messages, S extends OptionsSchema> {
  meta: Omit<CheckMeta, 'messages'> & { messages: M };
  options?: S;
  run(ctx: RuleContext<M, S>): void;
}

/**
 * The options a check runs with: each option the schema accepts as given, else its default. The
 * config loader has refused invalid options before a review starts (optionProblems); options that
 * come another way (the API, a test) fall back one by one, as the checks' own readers did.
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

export function defineCheck<M extends Messages, S extends OptionsSchema = NoOptions>(
  def: CheckDefinition<M, S>,
): Check {
  const schema = def.options ?? NO_OPTIONS;
  // read once here: a schema with an option that has no default fails when the check is defined
  const defaults = readOptions(schema, {}) as z.output<S>;
  // the configuration hands every file of a review the same options object
  const read = new WeakMap<object, z.output<S>>();
  return {
    meta: def.meta,
    options: schema,
    run(ctx: CheckContext): void {
      let options = Object.keys(ctx.options).length === 0 ? defaults : read.get(ctx.options);
      if (options === undefined) {
        options = readOptions(schema, ctx.options) as z.output<S>;
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
export function optionProblems(check: Check, raw: unknown): { option: string; message: string }[] {
  const r = (check.options ?? NO_OPTIONS).strict().safeParse(raw);
  if (r.success) return [];
  return r.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ option: [...i.path, k].join('.'), message: 'unknown option' }))
      : [{ option: i.path.join('.'), message: i.message }],
  );
}
