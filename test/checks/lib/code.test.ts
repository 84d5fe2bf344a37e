import { describe, expect, it } from 'vitest';
import { codeLines } from '../../../checks/lib/code.js';
import { buildUnit } from '../../../checks/unit.js';

const sp = (n: number): string => ' '.repeat(n);
const unitOf = (text: string) =>
  buildUnit({ path: 'kernel/example.c', mode: 'full', post: text, fragments: [], diff: null }, null);

describe('codeLines', () => {
  it('blanks comments and literals, keeping every line and its length', () => {
    const text = [
      'int f(void) /* a comment */',
      '{',
      '\tpr_info("return -EINVAL;"); // -EPERM',
      "\tchar c = '\\'';",
      '\t/* from here',
      '\t   mutex_lock(&m); */ return -ENOMEM;',
      '}',
    ].join('\n');
    const lines = codeLines(unitOf(text), 1, 7);
    expect(lines).toEqual([
      `int f(void)${sp(16)}`,
      '{',
      `\tpr_info(${sp(17)});${sp(10)}`,
      `\tchar c =${sp(5)};`,
      `\t${sp(12)}`,
      // inside the comment the tab is blanked too
      `${sp(23)}return -ENOMEM;`,
      '}',
    ]);
    expect(lines.map((l) => l.length)).toEqual(text.split('\n').map((l) => l.length));
  });

  it('reads only the lines asked for; a line the unit does not show is empty', () => {
    const unit = unitOf('a /* x */ b\n"s" c\n');
    expect(codeLines(unit, 2, 2)).toEqual(['    c']);
    expect(codeLines(unit, 3, 5)).toEqual(['', '', '']);
  });

  it('an unterminated comment runs to the end of the lines asked for', () => {
    expect(codeLines(unitOf('x; /* open\ny;\nz;'), 1, 2)).toEqual([`x;${sp(8)}`, sp(2)]);
  });
});
