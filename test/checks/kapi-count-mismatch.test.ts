import { edit, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');

tableTest('kapi-count-mismatch', {
  valid: [
    { name: 'macro form, counts match', text: macro },
    { name: 'kerneldoc gen 1, param-count matches', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw initializers (.error_count) match', text: raw },
    { name: 'ioctl helper macros expand to the counted params', text: ioctl },
    {
      name: 'a spec the hunk cuts off is not counted',
      text: macro.split('\n').slice(0, line(macro, 'KAPI_PARAM_COUNT(2)')).join('\n'),
    },
  ],
  invalid: [
    {
      name: 'macro form: more signals declared than listed (RFC v2 execveat shape)',
      text: edit(macro, 'KAPI_SIGNAL_COUNT(1)', 'KAPI_SIGNAL_COUNT(3)'),
      errors: [
        {
          line: line(macro, 'KAPI_SIGNAL_COUNT(1)'),
          spec: 'sys_frob',
          subject: 'count:signal',
          message: /sys_frob declares 3 signals \(KAPI_SIGNAL_COUNT\) but lists 1/,
          suggestion: '\tKAPI_SIGNAL_COUNT(1)',
          evidence: ['KAPI_SIGNAL_COUNT(3)', 'KAPI_SIGNAL'],
        },
      ],
    },
    {
      name: 'macro form: two counts wrong at once',
      text: edit(
        edit(macro, 'KAPI_ERROR_COUNT(4)', 'KAPI_ERROR_COUNT(5)'),
        'KAPI_PARAM_COUNT(2)',
        'KAPI_PARAM_COUNT(1)',
      ),
      errors: [
        { subject: 'count:error' },
        { subject: 'count:param', message: /declares 1 param .* lists 2/ },
      ],
    },
    {
      name: 'raw initializer .error_count',
      text: edit(raw, '.error_count = 2,', '.error_count = 3,'),
      errors: [
        { line: line(raw, '.error_count = 2,'), subject: 'count:error', suggestion: '\t.error_count = 2,' },
      ],
    },
    {
      name: 'kerneldoc gen 1: param-count with one param missing (Corbet on PATCH 1/9)',
      text: edit(kd1, 'param-count: 2', 'param-count: 3'),
      errors: [
        { line: line(kd1, 'param-count: 2'), subject: 'count:param', suggestion: ' * param-count: 2' },
      ],
    },
    {
      name: 'kerneldoc gen 3',
      text: edit(kd3, 'param-count: 2', 'param-count: 1'),
      errors: [{ subject: 'count:param', severity: 'error' }],
    },
  ],
});
