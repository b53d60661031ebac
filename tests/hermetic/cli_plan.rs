//! Hermetic CLI tests: the real binary against fake `crontab` and `docker` programs. This part:
//! `plan`, and how the CLI prints (quiet and verbose, colors only on a terminal, a closed pipe,
//! completions and the man page).

use crate::common::{Env, ok, stderr_of, stdout_of};

#[test]
fn plan_prints_the_block_for_the_shipped_example() {
    let env = Env::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let out = ok(env.cmd(["plan", "-c"]).arg(&example));
    let dir = env.dir.path().display().to_string();
    // The whole block: the seed job's runner line names the binary, the job, its interval, log
    // and runtime, then the container and the command, readably.
    let block = out.split("\n\n").next().unwrap();
    assert_eq!(
        block,
        format!(
            "# BEGIN crontainer:crontainer\n\
             # Managed by crontainer: edit its config and run `crontainer install`; do not edit below.\n\
             # crontainer:job id=main_pipeline_v2 container=ai-video-backend runtime={dir}/bin/docker \
             log=/var/log/main_pipeline.log lock=/var/log/main_pipeline.log.lock every=5h \
             desc=Main Video Pipeline (main_v2.py)\n\
             0 * * * * {dir}/bin/crontainer exec main_pipeline_v2 --block crontainer --every 5h \
             --log /var/log/main_pipeline.log --runtime {dir}/bin/docker -- ai-video-backend \
             python main_v2.py\n\
             # END crontainer:crontainer"
        )
    );
}

#[test]
fn plan_json_is_one_document_with_the_line() {
    let env = Env::new();
    let config = env.simple_config("");
    let out = ok(env.cmd(["plan", "--json", "-c"]).arg(&config));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["jobs"][0]["id"], "main_pipeline_v2");
    let line = doc["jobs"][0]["line"].as_str().unwrap();
    assert!(doc["text"].as_str().unwrap().contains(line));
}

#[test]
fn plan_warns_but_works_without_docker() {
    let env = Env::new();
    // A PATH with flock and date but no docker.
    std::fs::create_dir(env.path("bare")).unwrap();
    for tool in ["flock", "date"] {
        std::os::unix::fs::symlink(which::which(tool).unwrap(), env.path("bare").join(tool))
            .unwrap();
    }
    let config = env.simple_config("");
    let output = env
        .cmd(["plan", "-c"])
        .arg(&config)
        .env("PATH", env.path("bare"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output)
            .contains("`docker` was not found on PATH; the line would use /usr/bin/docker"),
        "{}",
        stderr_of(&output)
    );
    assert!(stdout_of(&output).contains(" --runtime /usr/bin/docker -- ai-video-backend python "));
}

#[test]
fn a_closed_pipe_ends_plan_quietly() {
    let env = Env::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let mut child = env
        .std_cmd(["plan", "--next", "100", "-c"])
        .arg(&example)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let err = stderr_of(&output);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "");
}

/// Under a terminal (util-linux's `script` gives the command a pty) the diff is colored, and
/// `NO_COLOR` turns that off.
#[test]
fn colors_only_on_a_terminal_and_never_with_no_color() {
    let env = Env::new();
    let config = env.simple_config("");
    let bin = assert_cmd::cargo::cargo_bin("crontainer");
    let line = format!(
        "{} install --dry-run -c {}",
        bin.display(),
        config.display()
    );
    let under_tty = |no_color: bool| {
        // The harness's environment (fakes on PATH, overrides), for the command inside `script`.
        let harness = env.std_cmd(["unused"]);
        let mut script = std::process::Command::new("script");
        script
            .args(["-qec", &line, "/dev/null"])
            .current_dir(env.path(""));
        for (k, v) in harness.get_envs() {
            match v {
                Some(v) => script.env(k, v),
                None => script.env_remove(k),
            };
        }
        if no_color {
            script.env("NO_COLOR", "1");
        }
        stdout_of(&script.output().unwrap())
    };
    let colored = under_tty(false);
    assert!(
        colored.contains("+# BEGIN crontainer:crontainer"),
        "{colored}"
    );
    assert!(
        colored.contains("\x1b[32m"),
        "a terminal gets colors: {colored:?}"
    );
    let plain = under_tty(true);
    assert!(plain.contains("+# BEGIN crontainer:crontainer"), "{plain}");
    assert!(!plain.contains('\x1b'), "NO_COLOR: {plain:?}");
    // And a pipe never gets colors.
    assert!(!ok(env.cmd(["install", "--dry-run", "-c"]).arg(&config)).contains('\x1b'));
}

#[test]
fn quiet_prints_nothing_on_success_and_verbose_shows_the_programs_run() {
    let env = Env::new();
    let config = env.simple_config("");
    let out = ok(env.cmd(["install", "-q", "-c"]).arg(&config));
    assert_eq!(out, "");
    assert!(
        env.crontab()
            .unwrap()
            .contains("# BEGIN crontainer:crontainer")
    );
    let output = env
        .cmd(["uninstall", "-v", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let err = stderr_of(&output);
    assert!(
        err.lines()
            .any(|l| l.starts_with("+ ") && l.ends_with("crontab -l")),
        "{err}"
    );
}

#[test]
fn completions_and_man_page_come_from_the_cli_definitions() {
    let env = Env::new();
    let bash = ok(&mut env.cmd(["completions", "bash"]));
    for sub in [
        "plan",
        "install",
        "uninstall",
        "status",
        "run-now",
        "logs",
        "pause",
        "resume",
    ] {
        assert!(bash.contains(sub), "bash completion lacks {sub}");
    }
    assert!(ok(&mut env.cmd(["completions", "zsh"])).contains("#compdef crontainer"));
    assert!(ok(&mut env.cmd(["completions", "fish"])).contains("complete -c crontainer"));
    let man = ok(&mut env.cmd(["man"]));
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH crontainer 1"),
        "{}",
        &man[..200]
    );
    assert!(
        man.contains("crontainer run\\-now") || man.contains("crontainer run-now"),
        "no run-now section"
    );
}

#[test]
fn plan_of_a_compose_service_shows_the_lookup_and_says_how_the_container_is_found() {
    let env = Env::new();
    let config = env.config(
        "[[job]]\nid = \"svc\"\nservice = \"backend\"\ncommand = [\"python\", \"main_v2.py\"]\n\
         every = \"5h\"\nlog = \"/var/log/main_pipeline.log\"\n\
         [[job]]\nid = \"pinned\"\nservice = \"backend\"\nproject = \"shop\"\n\
         command = [\"python\", \"main_v2.py\"]\nevery = \"5h\"\nlog = \"/var/log/pinned.log\"\n",
    );
    let out = ok(env.cmd(["plan", "-c"]).arg(&config));
    let docker = env.path("bin/docker").display().to_string();
    assert!(
        out.contains("# crontainer:job id=svc service=backend runtime="),
        "{out}"
    );
    assert!(
        out.contains("# crontainer:job id=pinned service=backend project=shop runtime="),
        "{out}"
    );
    let dir = env.dir.path().display().to_string();
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("0 * ")).collect();
    assert_eq!(
        lines,
        [
            format!(
                "0 * * * * {dir}/bin/crontainer exec svc --block crontainer --every 5h --log \
                 /var/log/main_pipeline.log --runtime {docker} --service backend -- python main_v2.py"
            ),
            format!(
                "0 * * * * {dir}/bin/crontainer exec pinned --block crontainer --every 5h --log \
                 /var/log/pinned.log --runtime {docker} --service backend --project shop -- python main_v2.py"
            ),
        ],
        "{out}"
    );
    assert!(
        out.contains("#   runs:      python main_v2.py in service backend of project shop\n"),
        "{out}"
    );
    // The runtime it asks by its path, never a literal `RUNTIME ps` (issue 25, item 9).
    assert!(
        out.contains(&format!(
            "#   container: found each time it fires: the first running container that \
             `{docker} ps` lists (Docker lists the newest first) with the labels \
             com.docker.compose.service=backend; if none runs, the run logs \
             reason=no_container and exits 69; if the service runs in several projects, it \
             logs reason=several_projects and exits 78 (set `project`)\n"
        )),
        "{out}"
    );

    let json = ok(env.cmd(["plan", "--json", "-c"]).arg(&config));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["jobs"][1]["container"], serde_json::Value::Null);
    assert_eq!(doc["jobs"][1]["service"]["service"], "backend");
    assert_eq!(doc["jobs"][1]["service"]["project"], "shop");
    assert!(
        doc["jobs"][1]["service"]["found_by"]
            .as_str()
            .unwrap()
            .starts_with("found each time it fires")
    );
}

/// What a job does beyond its schedule is said in its summary: the timeout, a catch-up window,
/// the overlap policy, retries and pings (the URL masked), each only when set.
#[test]
fn plan_says_each_policy_a_job_sets() {
    let env = Env::new();
    let config = env.config(
        "[[job]]\nid = \"report\"\ncontainer = \"app\"\ncommand = [\"python\", \"report.py\"]\n\
         schedule = \"0 6 * * *\"\ntimeout = \"90m\"\ncatch_up = \"6h\"\n\
         concurrency = \"replace\"\nretries = 2\n\
         healthcheck = \"https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a\"\n\
         log = \"/var/log/report.log\"\n\
         [[job]]\nid = \"plain\"\ncontainer = \"app\"\ncommand = [\"true\"]\n\
         schedule = \"0 7 * * *\"\nconcurrency = \"allow\"\nlog = \"/var/log/plain.log\"\n",
    );
    let out = ok(env.cmd(["plan", "--next", "1", "-c"]).arg(&config));
    let summary: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("# report"))
        .filter(|l| !l.starts_with("#   next runs:"))
        .collect();
    assert_eq!(
        summary,
        [
            "# report",
            "#   runs:      python report.py in app",
            "#   schedule:  every day at 06:00",
            "#   log:       /var/log/report.log",
            "#   timeout:   stopped inside the container after 1h30m (its end line says \
             reason=timeout)",
            "#   catch-up:  after a boot, once the container runs, if the host was down at the \
             last slot and that slot is at most 6h old",
            "#   overlap:   a firing while a run goes stops that run (inside the container too), \
             then starts",
            "#   retries:   up to 2 more attempts while it fails, the first after 30s, each next \
             wait doubled",
            "#   pings:     https://hc-ping.com/…/4f5a at the start and at the end of each run",
            "#",
            "# plain",
            "#   runs:      true in app",
            "#   schedule:  every day at 07:00",
            "#   log:       /var/log/plain.log",
            "#   overlap:   a firing while a run goes starts another beside it",
        ],
        "{out}"
    );
}
