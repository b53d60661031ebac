#!/usr/bin/python
# -*- coding: utf-8 -*-
# crontainer's Ansible module: the same `crontainer install` / `uninstall` on every managed host,
# so a fleet is configured the way one host is, with no agent of our own. It only runs the
# crontainer binary on the host and translates its `--json` answer into Ansible's terms; all the
# knowledge (cron, the managed block, validation) stays in crontainer.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: crontainer
short_description: Install or remove crontainer's cron jobs or systemd timers from a TOML config
description:
  - Runs C(crontainer install --json) (O(state=present)) or C(crontainer uninstall --json)
    (O(state=absent)) on the managed host with the config at O(config).
  - Reports C(changed) from crontainer's own C(changed), the change in Ansible's C(--diff)
    format, and crontainer's warnings as Ansible warnings.
  - Check mode runs crontainer with C(--dry-run), which writes nothing.
  - The crontainer binary must be installed on the managed host.
options:
  config:
    description: Path of the TOML config on the managed host.
    type: path
    required: true
  content:
    description:
      - TOML text of the config. When given and different from what O(config) holds, it is
        checked by crontainer first (C(crontainer plan)), then written to O(config) atomically
        (a temporary file in the same directory, renamed into place), and the jobs are installed
        from O(config) itself, so the installed lines (the metrics line of C([monitoring])
        reads the config every minute) name the config's real path. A config crontainer refuses
        never replaces a good one; when C(install) refuses it after all (exit 2), the previous
        config is put back.
      - In check mode nothing is written; the diff is crontainer's dry run on the new text,
        shown with the config's real path.
      - Healthcheck URLs are shown masked in every diff (C(https://hc-ping.com/…/4f5a)), as
        crontainer shows them.
      - The text is kept out of Ansible's logs and of the task's result (C(no_log)), since it
        may hold secrets; the diff shows it as a unified diff.
    type: str
  state:
    description: Whether the config's jobs are installed (V(present)) or removed (V(absent)).
    type: str
    choices: [present, absent]
    default: present
  target:
    description:
      - Where the jobs go; overrides the config's C([cron] target).
      - V(systemd) writes a service and a timer per job, in C(/etc/systemd/system) when the
        module runs as root (use C(become)), else in the connecting user's
        C(~/.config/systemd/user); crontainer refuses it, and the task fails with its message,
        when no systemd manager runs on the host.
    type: str
    choices: [crontab, cron.d, systemd]
  user:
    description:
      - Whose crontab (target V(crontab)), the user the V(cron.d) lines run as, or the user
        the V(systemd) system units run as (C(User=)); overrides the config's C([cron] user).
      - A user's own systemd units (not root) run as that user only, so for V(systemd) without
        root it may only name the connecting user.
    type: str
  executable:
    description: The crontainer binary; by default the one on the managed host's PATH.
    type: path
author:
  - crontainer contributors
"""

EXAMPLES = r"""
- name: Install the pipeline's cron jobs
  crontainer:
    config: /etc/crontainer/crontainer.toml
    content: "{{ lookup('ansible.builtin.file', 'crontainer.toml') }}"

- name: Remove them again
  crontainer:
    config: /etc/crontainer/crontainer.toml
    state: absent
"""

RETURN = r"""
crontainer:
  description: crontainer's own C(--json) answer.
  returned: when crontainer ran
  type: dict
rc:
  description: crontainer's exit code.
  returned: always
  type: int
"""

import difflib
import json
import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

# crontainer's exit code for bad input (an invalid config, a hand-edited block): nothing changed.
EXIT_BAD_INPUT = 2


def read_bytes(path):
    """The file's bytes, or None if it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def mask_urls(text):
    """`text` with the path of every http(s) URL hidden but for its last 4 characters, as
    crontainer masks them (`ui::mask_urls`): a healthcheck URL is a secret."""
    def masked(match):
        host, path = match.group(2), match.group(3) or ""
        if not path:
            return match.group(0)
        tail = path[-4:] if len(path) > 4 else ""
        return match.group(1) + host + "/\u2026" + ("/" + tail if tail else "")

    return URL.sub(masked, text)


# A URL ends where a config value may not go on: whitespace, a quote, a backslash, `?`, `#`.
URL = re.compile(r"""(https?://)([^/\s'"\\?#]*)(?:/([^\s'"\\?#]*))?""")


def crontainer_args(module, command, config_path, json_output=True):
    """The crontainer command line for `command` on `config_path`."""
    params = module.params
    binary = params["executable"] or module.get_bin_path("crontainer", required=True)
    args = [binary, command]
    if json_output:
        args.append("--json")
    args += ["-c", config_path]
    if params["target"]:
        args += ["--target", params["target"]]
    if params["user"]:
        args += ["--user", params["user"]]
    return args


def run_crontainer(module, config_path, shown_path=None):
    """Runs install or uninstall on `config_path` (a dry run in check mode); returns (rc, parsed
    JSON or None, stdout, stderr), with `config_path` written as `shown_path` when given."""
    command = "install" if module.params["state"] == "present" else "uninstall"
    args = crontainer_args(module, command, config_path)
    if module.check_mode:
        args.append("--dry-run")
    rc, stdout, stderr = module.run_command(args)
    if shown_path:
        stdout = stdout.replace(config_path, shown_path)
        stderr = stderr.replace(config_path, shown_path)
    try:
        answer = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        answer = None
    return rc, answer, stdout, stderr


def fail(module, rc, stdout, stderr):
    why = to_text(stderr).strip() or to_text(stdout).strip()
    if rc == EXIT_BAD_INPUT:
        msg = why
    else:
        msg = "crontainer exited with %d: %s" % (rc, why)
    module.fail_json(msg=msg, rc=rc, stdout=stdout, stderr=stderr)


def write_beside(module, path, data):
    """Writes `data` to a new temporary file in `path`'s directory; returns its path."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        module.fail_json(
            msg="config: the directory %s of %s does not exist; create it first "
            "(e.g. with ansible.builtin.file state=directory)" % (directory, path)
        )
    fd, temp = tempfile.mkstemp(
        prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory
    )
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    # The mode the config has, or will have (atomic_move's default for a new file): mkstemp's
    # 0600 would refuse the check of a non-root `user`'s metrics line that a dry run makes.
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp, mode)
    return temp


def replace_config(module, config, data):
    """Puts `data` at `config` atomically. atomic_move gives the new file the old one's mode
    and owner (it may hold secrets in `env`), or the umask's default for a first config, which
    a non-root `user`'s metrics line can read (the temporary file is 0600)."""
    temp = write_beside(module, config, data)
    try:
        module.atomic_move(temp, config)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="path", required=True),
            # The config may hold secrets (healthcheck URLs, `env` values): Ansible would
            # otherwise log it on the managed host (syslog/journal) and return it in
            # `invocation`, as ansible.builtin.copy's `content` is kept out.
            content=dict(type="str", no_log=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            target=dict(type="str", choices=["crontab", "cron.d", "systemd"]),
            user=dict(type="str"),
            executable=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    config = module.params["config"]
    content = module.params["content"]
    before = read_bytes(config)
    content_changed = content is not None and to_bytes(content) != before

    if content_changed:
        # crontainer checks the new text first, from a temporary file beside the config: a
        # config it refuses never replaces a good one.
        temp = write_beside(module, config, to_bytes(content))
        try:
            rc, stdout, stderr = module.run_command(
                crontainer_args(module, "plan", temp)
            )
            if rc != 0:
                fail(module, rc, stdout.replace(temp, config), stderr.replace(temp, config))
            if module.check_mode:
                # Nothing may be written: the dry run reads the new text where it is, and shows
                # the config's real path, which the real run installs from.
                rc, answer, stdout, stderr = run_crontainer(module, temp, config)
        finally:
            os.unlink(temp)
        if not module.check_mode:
            replace_config(module, config, to_bytes(content))
            rc, answer, stdout, stderr = run_crontainer(module, config)
            if rc == EXIT_BAD_INPUT:
                # Refused, nothing installed: the previous config goes back.
                if before is None:
                    os.unlink(config)
                else:
                    replace_config(module, config, before)
    else:
        rc, answer, stdout, stderr = run_crontainer(module, config)
    if rc != 0 or answer is None:
        fail(module, rc, stdout, stderr)

    if module.check_mode:
        cron_changed = bool(answer.get("would_change", answer.get("changed")))
    else:
        cron_changed = bool(answer.get("changed"))

    for warning in answer.get("warnings") or []:
        module.warn(warning)

    diffs = []
    if content_changed:
        # A unified diff, never the text whole: Ansible masks `content` (no_log) wherever it
        # appears in the result, which would blank a diff showing it as it is.
        diffs.append(
            dict(
                prepared="\n".join(
                    difflib.unified_diff(
                        mask_urls(to_text(before or b"")).splitlines(),
                        mask_urls(content).splitlines(),
                        fromfile="%s (before)" % config,
                        tofile="%s (after)" % config,
                        lineterm="",
                    )
                )
                + "\n"
            )
        )
    if answer.get("diff"):
        # crontainer's diff is already unified, with the target's path in its headers, and
        # its URLs masked.
        diffs.append(dict(prepared=answer["diff"]))

    module.exit_json(
        changed=content_changed or cron_changed,
        diff=diffs,
        crontainer=answer,
        rc=rc,
    )


if __name__ == "__main__":
    main()
