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
short_description: Install or remove crontainer's cron jobs from a TOML config
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
        checked by crontainer first and then written to O(config) atomically (a temporary file
        in the same directory, renamed into place), so a bad config never replaces a good one.
    type: str
  state:
    description: Whether the config's jobs are installed (V(present)) or removed (V(absent)).
    type: str
    choices: [present, absent]
    default: present
  target:
    description: Where the jobs go; overrides the config's C([cron] target).
    type: str
    choices: [crontab, cron.d]
  user:
    description:
      - Whose crontab (target V(crontab)), or the user the V(cron.d) lines run as; overrides
        the config's C([cron] user).
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

import json
import os
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


def run_crontainer(module, config_path):
    """Runs crontainer on `config_path`; returns (rc, parsed JSON or None, stdout, stderr)."""
    params = module.params
    binary = params["executable"] or module.get_bin_path("crontainer", required=True)
    command = "install" if params["state"] == "present" else "uninstall"
    args = [binary, command, "--json", "-c", config_path]
    if params["target"]:
        args += ["--target", params["target"]]
    if params["user"]:
        args += ["--user", params["user"]]
    if module.check_mode:
        args.append("--dry-run")
    rc, stdout, stderr = module.run_command(args)
    try:
        answer = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        answer = None
    return rc, answer, stdout, stderr


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="path", required=True),
            content=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            target=dict(type="str", choices=["crontab", "cron.d"]),
            user=dict(type="str"),
            executable=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    config = module.params["config"]
    content = module.params["content"]

    # New content goes to a temporary file next to the config, and crontainer runs on that: only
    # a config crontainer accepted is renamed into place (rename is atomic within a directory).
    before = read_bytes(config)
    new_file = None
    if content is not None and to_bytes(content) != before:
        directory = os.path.dirname(config) or "."
        if not os.path.isdir(directory):
            module.fail_json(
                msg="config: the directory %s of %s does not exist; create it first "
                "(e.g. with ansible.builtin.file state=directory)" % (directory, config)
            )
        fd, new_file = tempfile.mkstemp(
            prefix="." + os.path.basename(config) + ".", suffix=".tmp", dir=directory
        )
        with os.fdopen(fd, "wb") as f:
            f.write(to_bytes(content))
        # No chmod here: atomic_move gives the new file the old one's mode and owner (it may
        # hold secrets in `env`), or the umask's default for a first config.

    try:
        rc, answer, stdout, stderr = run_crontainer(module, new_file or config)
        if new_file:
            # crontainer's messages name the file it read: name the config the user gave.
            stderr = stderr.replace(new_file, config)
        if rc != 0 or answer is None:
            why = to_text(stderr).strip() or to_text(stdout).strip()
            if rc == EXIT_BAD_INPUT:
                msg = why
            else:
                msg = "crontainer exited with %d: %s" % (rc, why)
            module.fail_json(msg=msg, rc=rc, stdout=stdout, stderr=stderr)
        if new_file and not module.check_mode:
            module.atomic_move(new_file, config)
            new_file = None
    finally:
        if new_file and os.path.exists(new_file):
            os.unlink(new_file)

    content_changed = content is not None and to_bytes(content) != before
    if module.check_mode:
        cron_changed = bool(answer.get("would_change", answer.get("changed")))
    else:
        cron_changed = bool(answer.get("changed"))

    for warning in answer.get("warnings") or []:
        module.warn(warning)

    diffs = []
    if content_changed:
        diffs.append(
            dict(
                before_header=config,
                after_header=config,
                before=to_text(before or b""),
                after=content,
            )
        )
    if answer.get("diff"):
        # crontainer's diff is already unified, with the target's path in its headers.
        diffs.append(dict(prepared=answer["diff"]))

    module.exit_json(
        changed=content_changed or cron_changed,
        diff=diffs,
        crontainer=answer,
        rc=rc,
    )


if __name__ == "__main__":
    main()
