# Runs the per-patch checks of `b4 review` the way its TUI does (review_tui/_common.py), without
# the TUI (which needs a newer python3-textual than Debian has): the commands come from git config
# (b4.review-perpatch-check-cmd, through b4.review.checks.load_check_cmds), each patch of the mbox
# goes through run_perpatch_checks(), and the results are stored in and read back from b4's own
# results cache (SQLite under XDG_DATA_HOME), as the TUI's results matrix reads them. Each
# result's `details` is then read as the detail view reads it (_render_detail_lines: json.loads,
# a list of objects, else plain lines).
#
#   python3 b4_review_checks.py MBOX   (cwd: the git tree b4 runs the commands in)
#
# Prints one JSON object: {"cmds": [...], "patches": [{"msgid", "subject", "results": [...]}]},
# where each result carries "details_list" (the parsed list, or null for plain text).
#
#   python3 b4_review_checks.py --local-check MBOX
#
# Runs b4.am-perpatch-check-cmd on every message of MBOX, cover letters too, through
# LoreMessage.run_local_check (what `b4 am --check` calls for each patch) and prints
# [{"msgid", "report": [[flag, text], ...]}].
import json
import sys

import b4
import b4.command
import b4.review.checks as checks


def setup(mbox: str) -> None:
    """Reads the configuration as b4's command line does before any command, offline."""
    cmdargs = b4.command.setup_parser().parse_args(['--offline-mode', 'am', '-m', mbox])
    b4.setup_config(cmdargs)
    b4.can_network = False


def local_check(mbox: str) -> None:
    config = b4.get_main_config()
    cmds = config.get('am-perpatch-check-cmd', [])
    cmds = [cmds] if isinstance(cmds, str) else cmds
    out = []
    for msg in b4.get_msgs_from_mailbox_or_maildir(mbox):
        msgid = msg.get('message-id', '').strip().strip('<>')
        report = []
        for cmd in cmds:
            report.extend(b4.LoreMessage.run_local_check(checks.parse_cmd(cmd), msgid, msg, nocache=True))
        out.append({'msgid': msgid, 'report': report})
    print(json.dumps(out))


def main() -> None:
    if sys.argv[1] == '--local-check':
        setup(sys.argv[2])
        local_check(sys.argv[2])
        return
    mbox = sys.argv[1]
    setup(mbox)
    topdir = b4.git_get_toplevel()
    perpatch, _series = checks.load_check_cmds()
    patches = []
    for msg in b4.get_msgs_from_mailbox_or_maildir(mbox):
        subject = b4.LoreSubject(msg.get('subject', ''))
        if subject.counter == 0 and subject.expected > 0:
            continue  # the cover letter: b4 review runs the per-patch checks on patches only
        patches.append((msg.get('message-id', '').strip().strip('<>'), msg))
    results = checks.run_perpatch_checks(patches, perpatch, topdir)
    conn = checks.get_db()
    for msgid, res in results.items():
        checks.store_results(conn, msgid, res)
    cached = checks.get_cached_results(conn, [m for m, _ in patches])
    conn.close()
    out = {'cmds': perpatch, 'patches': []}
    for msgid, msg in patches:
        rows = []
        for r in cached.get(msgid, []):
            try:
                parsed = json.loads(r['details']) if r['details'] else None
                if not isinstance(parsed, list):
                    parsed = None
            except json.JSONDecodeError:
                parsed = None
            rows.append({**r, 'details_list': parsed})
        out['patches'].append({'msgid': msgid, 'subject': msg.get('subject', ''), 'results': rows})
    print(json.dumps(out))


if __name__ == '__main__':
    main()
