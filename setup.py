"""The `keyguard-prebuilt` pre-commit hook: a release binary instead of a cargo build.

pre-commit installs a `language: python` hook with `pip install .` in a fresh virtualenv.
For this repository that install compiles nothing: it downloads the release archive of this
checkout's version (Cargo.toml's `version`, tag `v<version>`) for this platform, checks it
against the release's SHA256SUMS, and installs the `keyguard` binary as the virtualenv's
`keyguard` script. The `keyguard` hook (`language: rust`) builds from source instead.

Where releases come from: the GitHub repository this checkout was cloned from (pre-commit
clones the hook's `repo:` as `origin`), i.e. https://github.com/OWNER/keyguard/releases/download.
Two variables change that, for mirrors and for tests:

- KEYGUARD_RELEASE_URL: the directory that holds one directory per tag (https only);
- KEYGUARD_RELEASE_CA: a PEM file of extra CA certificates to trust for it.

The checksum file comes from the same release, so the check catches a truncated or altered
download, not a compromised release; pin the hook's `rev` to a release tag you trust.
"""

import hashlib
import io
import os
import platform
import re
import ssl
import stat
import subprocess
import tarfile
import urllib.error
import urllib.request
import zipfile

from setuptools import Command, setup
from setuptools.command.build import build as _build
from setuptools.command.install import install as _install

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # pragma: no cover - older setuptools with the `wheel` package
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))


class Refused(SystemExit):
    """Stop the install with a message that says what to do."""

    def __init__(self, message):
        super().__init__(f"keyguard-prebuilt: {message}")


def version():
    """The `version` of Cargo.toml's `[package]` table."""
    text = open(os.path.join(HERE, "Cargo.toml"), encoding="utf-8").read()
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not found:
        raise Refused("Cargo.toml has no [package] version")
    return found.group(1)


def target():
    """The release target of this machine and its archive's extension."""
    system, machine = platform.system(), platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(
        machine
    )
    if system == "Linux" and arch:
        libc, _ = platform.libc_ver()
        if libc != "glibc":
            raise Refused(
                f"the release binaries need glibc and this system has {libc or 'another C library'};"
                " use the `keyguard` hook, which builds from source"
            )
        return f"{arch}-unknown-linux-gnu", "tar.gz"
    if system == "Darwin" and arch:
        return f"{arch}-apple-darwin", "tar.gz"
    if system == "Windows" and arch == "x86_64":
        return "x86_64-pc-windows-msvc", "zip"
    raise Refused(
        f"no release binary for {system} {machine}; use the `keyguard` hook, which builds from source"
    )


def release_base():
    url = os.environ.get("KEYGUARD_RELEASE_URL", "").strip()
    if url:
        if not url.startswith("https://"):
            raise Refused(f"KEYGUARD_RELEASE_URL must be an https:// URL, not {url!r}")
        return url.rstrip("/")
    try:
        origin = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        origin = ""
    m = re.match(r"^(?:https://|ssh://git@|git@)github\.com[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", origin)
    if not m:
        raise Refused(
            f"cannot tell where the releases are: this checkout's origin is {origin or 'not set'!r},"
            " not a GitHub repository; set KEYGUARD_RELEASE_URL to the directory holding the"
            " release tags, or use the `keyguard` hook, which builds from source"
        )
    return f"https://github.com/{m.group(1)}/{m.group(2)}/releases/download"


def fetch(url):
    context = ssl.create_default_context()
    ca = os.environ.get("KEYGUARD_RELEASE_CA")
    if ca:
        context.load_verify_locations(cafile=ca)
    request = urllib.request.Request(url, headers={"User-Agent": "keyguard-prebuilt"})
    try:
        with urllib.request.urlopen(request, timeout=60, context=context) as reply:
            return reply.read()
    except urllib.error.HTTPError as e:
        raise Refused(f"{url}: HTTP {e.code}; is there a release for this version?")
    except (urllib.error.URLError, OSError) as e:
        raise Refused(f"{url}: {getattr(e, 'reason', e)}")


def expected_sha256(sums, archive, url):
    for line in sums.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == archive:
            return parts[0].lower()
    raise Refused(f"{url} has no entry for {archive}")


def download_binary(dest_dir):
    """Download, check and unpack this version's binary into `dest_dir`; return its path."""
    tag = f"v{version()}"
    triple, ext = target()
    name = f"keyguard-{tag}-{triple}"
    archive = f"{name}.{ext}"
    base = f"{release_base()}/{tag}"
    sums_url = f"{base}/SHA256SUMS"
    want = expected_sha256(fetch(sums_url), archive, sums_url)
    data = fetch(f"{base}/{archive}")
    got = hashlib.sha256(data).hexdigest()
    if got != want:
        raise Refused(f"{archive} does not match SHA256SUMS (sha256 {got}, expected {want}); not installed")
    exe = "keyguard.exe" if ext == "zip" else "keyguard"
    member = f"{name}/{exe}"
    try:
        if ext == "zip":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                binary = z.read(member)
        else:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
                f = t.extractfile(member)
                if f is None:
                    raise KeyError(member)
                binary = f.read()
    except (KeyError, tarfile.TarError, zipfile.BadZipFile) as e:
        raise Refused(f"{archive} does not hold {member}: {e}")
    os.makedirs(dest_dir, exist_ok=True)
    path = os.path.join(dest_dir, exe)
    with open(path, "wb") as out:
        out.write(binary)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


class fetch_keyguard(Command):
    description = "download and check the keyguard release binary"
    user_options = []

    def initialize_options(self):
        self.build_dir = None

    def finalize_options(self):
        self.set_undefined_options("build", ("build_scripts", "build_dir"))

    def run(self):
        download_binary(self.build_dir)


class install_keyguard(Command):
    description = "install the keyguard release binary as a script"
    user_options = []

    def initialize_options(self):
        self.build_dir = self.install_dir = None
        self.outfiles = []

    def finalize_options(self):
        self.set_undefined_options("build", ("build_scripts", "build_dir"))
        self.set_undefined_options("install", ("install_scripts", "install_dir"))

    def run(self):
        self.outfiles = self.copy_tree(self.build_dir, self.install_dir)

    def get_outputs(self):
        return self.outfiles


class build(_build):
    sub_commands = _build.sub_commands + [("fetch_keyguard", None)]


class install(_install):
    sub_commands = _install.sub_commands + [("install_keyguard", None)]


class bdist_wheel(_bdist_wheel):
    """The wheel holds a native binary: tag it for this platform, never `any`."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(
    name="keyguard-prebuilt",
    version=version(),
    description="The keyguard release binary for the keyguard-prebuilt pre-commit hook",
    license="MIT OR Apache-2.0",
    py_modules=[],
    cmdclass={
        "build": build,
        "install": install,
        "fetch_keyguard": fetch_keyguard,
        "install_keyguard": install_keyguard,
        "bdist_wheel": bdist_wheel,
    },
)
