//! The product against the real `crontab` program, with the test user's crontab: what the user
//! wrote survives install and uninstall byte for byte, parallel installs lose nothing, and what
//! `plan` prints is accepted by Debian's `crontab`. Nothing here waits for cron to fire.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::blocks::without_blocks;
use crate::support::{self, Crontainer, TEST_USER, TestCrontab, UserDir, cmd, path_str, toml_str};

/// A config for the test user's crontab with one seed-like job logging into `dir`.
fn crontab_config(name: &str, id: &str, dir: &UserDir, every: &str) -> String {
    format!(
        "[cron]\ntarget = \"crontab\"\nuser = \"{TEST_USER}\"\nname = \"{name}\"\n\n\
         [defaults]\nruntime = \"docker\"\n\n\
         [[job]]\nid = \"{id}\"\ndescription = \"Main Video Pipeline (main_v2.py)\"\n\
         container = \"ai-video-backend\"\ncommand = [\"python\", \"main_v2.py\"]\n\
         every = \"{every}\"\nlog = {}\n",
        toml_str(path_str(&dir.join(&format!("{id}.log"))))
    )
}

/// A crontab as people and other tools leave them: comments, env lines, blank lines, whenever's
/// and Ansible's markers, odd spacing, a nickname, and a ~900-byte line (Debian's limit is 998).
fn users_own_crontab() -> String {
    let long = format!("17 4 * * * /usr/bin/printf '%s\\n' {}", "x".repeat(860));
    let text = format!(
        "# my own crontab: crontainer must not lose a byte of it\n\
         MAILTO=\"\"\n\
         SHELL=/bin/sh\n\
         \n\
         \n\
         # Begin Whenever generated tasks for: /srv/app/config/schedule.rb at: 2026-01-01 00:00:00 +0000\n\
         0 * * * * /bin/bash -l -c 'cd /srv/app && RAILS_ENV=production bundle exec rake hourly --silent'\n\
         # End Whenever generated tasks for: /srv/app/config/schedule.rb at: 2026-01-01 00:00:00 +0000\n\
         #Ansible: nightly backup\n\
         30 2 * * * /usr/bin/true backup\n\
         \t# an indented comment with a tab\n\
         @reboot   /usr/bin/true   spaced   out\n\
         {long}\n\
         # the end\n"
    );
    let longest = text.lines().map(str::len).max().unwrap_or(0);
    assert!(
        (880..=998).contains(&longest),
        "the long line is {longest} bytes"
    );
    text
}

/// Installs the user's own crontab and returns it as `crontab -l` prints it (the baseline).
fn set_users_own_crontab(crontab: &TestCrontab) -> String {
    crontab.write(&users_own_crontab());
    let back = crontab.read();
    assert_eq!(
        back,
        users_own_crontab(),
        "crontab -l prints what was installed"
    );
    back
}

fn backups(tool: &Crontainer) -> usize {
    std::fs::read_dir(tool.state_dir().join("backups"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn install_and_uninstall_keep_the_users_crontab_byte_for_byte() {
    support::require_provisioned();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let crontab = TestCrontab::acquire();
    let original = set_users_own_crontab(&crontab);
    let name = support::unique_cron_d_name();
    let config = tool.config(&crontab_config(&name, "main_pipeline_v2", &dir, "5h"));
    let config = path_str(&config);

    tool.expect(["install", "-c", config], 0);
    let installed = crontab.read();
    assert_eq!(
        without_blocks(&installed),
        original,
        "the user's lines stay intact and in order:\n{installed}"
    );
    // One block, above the user's first environment line (`MAILTO=`), which would otherwise
    // reach its lines.
    let (first, rest) = original.split_once('\n').unwrap();
    let block = installed
        .strip_prefix(&format!("{first}\n"))
        .and_then(|after| after.strip_suffix(rest))
        .unwrap_or_else(|| panic!("the block is not right below the first line:\n{installed}"));
    assert!(
        block.starts_with(&format!("# BEGIN crontainer:{name}\n"))
            && block.ends_with(&format!("# END crontainer:{name}\n"))
            && block.contains(&format!(
                "\n0 * * * * {} exec main_pipeline_v2 --block {name} --every 5h --log {} --runtime \
                 {} -- ai-video-backend python main_v2.py\n",
                path_str(support::crontainer_bin()),
                path_str(&dir.join("main_pipeline_v2.log")),
                path_str(support::docker())
            )),
        "one block above MAILTO=:\n{block}"
    );
    assert_eq!(backups(&tool), 1, "a backup of the previous crontab");

    let again = tool.expect(["install", "-c", config], 0);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("up to date"),
        "{again:?}"
    );
    assert_eq!(
        crontab.read(),
        installed,
        "a second install changes nothing"
    );
    assert_eq!(backups(&tool), 1, "and writes no backup");

    tool.expect(["uninstall", "-c", config], 0);
    assert_eq!(
        crontab.read(),
        original,
        "uninstall gives back the user's crontab"
    );
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn sixteen_parallel_installs_and_uninstalls_lose_nothing() {
    support::require_provisioned();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let crontab = TestCrontab::acquire();
    let original = set_users_own_crontab(&crontab);
    let configs: Vec<(String, PathBuf)> = (0..16)
        .map(|i| {
            let name = format!("p{i}");
            let config = tool.config(&crontab_config(&name, &format!("job{i}"), &dir, "5h"));
            (name, config)
        })
        .collect();

    let run_all = |verb: &str| {
        let children: Vec<_> = configs
            .iter()
            .map(|(_, config)| {
                let mut cmd = tool.cmd([verb, "-c", path_str(config)]);
                cmd.stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                cmd.spawn().expect("spawn crontainer")
            })
            .collect();
        for (child, (name, _)) in children.into_iter().zip(&configs) {
            let out = child.wait_with_output().expect("wait for crontainer");
            assert!(
                out.status.success(),
                "{verb} of {name} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };

    run_all("install");
    let installed = crontab.read();
    assert_eq!(without_blocks(&installed), original, "{installed}");
    for (name, _) in &configs {
        for marker in ["BEGIN", "END"] {
            let line = format!("# {marker} crontainer:{name}\n");
            assert_eq!(
                installed.matches(&line).count(),
                1,
                "block {name} once:\n{installed}"
            );
        }
    }

    run_all("uninstall");
    assert_eq!(crontab.read(), original);
}

/// `plan`'s block, from its first line to its `# END` line.
fn planned_block(tool: &Crontainer, config: &Path) -> String {
    let out = tool.expect(["plan", "-c", path_str(config)], 0);
    let stdout = String::from_utf8(out.stdout).expect("plan prints UTF-8");
    let end = stdout
        .find("\n# END crontainer:")
        .and_then(|i| stdout[i + 1..].find('\n').map(|j| i + 1 + j + 1))
        .unwrap_or_else(|| panic!("no END line in plan's output:\n{stdout}"));
    stdout[..end].to_owned()
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn plans_output_is_accepted_by_the_real_crontab() {
    support::require_provisioned();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let mut configs = vec![("config.example.toml".to_owned(), example)];
    for every in ["5h", "90m", "7m", "1h30m", "2d"] {
        let config = tool.config(&crontab_config(
            "crontainer",
            "main_pipeline_v2",
            &dir,
            every,
        ));
        configs.push((format!("every = {every:?}"), config));
    }

    let crontab = TestCrontab::acquire();
    for (what, config) in &configs {
        let block = planned_block(&tool, config);
        let file = dir.join("planned.crontab");
        std::fs::write(&file, &block).expect("write the planned crontab");
        let out = cmd::output(Command::new("crontab").args(["-u", TEST_USER]).arg(&file));
        assert!(
            out.status.success(),
            "crontab refused plan's output for {what} ({}): {}\n{block}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(crontab.read(), block, "{what}: crontab -l gives it back");
    }
}
