#!/usr/bin/env python3
"""Generate keyguard's accuracy corpus: a fake monorepo with planted credentials and decoys.

    python3 testdata/accuracy/generate.py OUTDIR [--seed N]

Writes realistic source and configuration files (Python, JS/TS, Go, Java, YAML for
Kubernetes / docker-compose / GitHub Actions, JSON, .env, Terraform, Dockerfiles, shell,
INI / properties / TOML, XML, HTTP request files, lock files, key files) into OUTDIR and
records every planted value in OUTDIR/truth.json: a JSON list of

    {"path", "line", "end_line", "family", "kind", "value", "decoy"}

`value` is the exact text as it appears in the file, starting on `line` (for a multi-line PEM
block, `line` is the BEGIN line and `end_line` the END line). Entries with "decoy": true are
values that must NOT be reported (hashes, placeholders, public keys, publishable keys, ...).

Every credential is random and generated from the provider's public token format (prefix,
alphabet, length, checksum where the format has one); none is real, and none is copied from
keyguard's rule files. The output is a pure function of the seed (default 1).
"""
import argparse
import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import string
import struct
import sys
import uuid
import zlib
import random

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import fakes  # noqa: E402

GENERATOR_VERSION = 1

# Mirrors keyguard's placeholder filter (src/detect/placeholder.rs) so that random values
# never contain a marker by accident; a real token practically never does either.
PLACEHOLDER_MARKERS = (
    "example", "placeholder", "changeme", "change_me", "change-me", "your_", "your-",
    "yourapi", "yourtoken", "yoursecret", "yourpass", "redacted", "dummy", "replace_me",
    "replaceme", "insert_", "insert-", "xxxxx", "*****", "#####", "....", "0123456789",
    "123456789", "abcdefghij", "${", "{{", "$(", "%(", "os.environ", "process.env", "getenv",
    "env[", "env.", "secrets.", "vault:", "op://", "@microsoft.keyvault",
)
# fakes.py also keeps these out of random bodies
AVOID = PLACEHOLDER_MARKERS + ("test", "fake")

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
HEXU = "0123456789ABCDEF"
B32 = UPPER + "234567"
LOWER_B32 = LOWER + "234567"


def looks_placeholder(s, markers=PLACEHOLDER_MARKERS):
    low = s.lower()
    if any(m in low for m in markers):
        return True
    run = best = 1
    for a, b in zip(s, s[1:]):
        run = run + 1 if a == b else 1
        best = max(best, run)
    return len(s) >= 8 and best >= 8


def b64(b):
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    """Random values; every one passes `looks_placeholder` == False."""

    def __init__(self, r):
        self.r = r

    def clean(self, fn):
        for _ in range(1000):
            v = fn()
            if not looks_placeholder(v, AVOID):
                return v
        raise RuntimeError("could not generate a clean value")

    def s(self, alphabet, n):
        return self.clean(lambda: "".join(self.r.choice(alphabet) for _ in range(n)))

    def hex(self, n):
        return self.s(HEX, n)

    def digits(self, n, first="123456789"):
        return self.r.choice(first) + "".join(self.r.choice(DIGITS) for _ in range(n - 1))

    def bytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def uuid4(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def word(self, words):
        return self.r.choice(words)

    def password(self, n=None, punct="!@%^*-_+=~"):
        n = n or self.r.randint(18, 32)

        def one():
            chars = [self.r.choice(ALNUM) for _ in range(n)]
            for _ in range(self.r.randint(1, 3)):
                chars[self.r.randrange(1, n - 1)] = self.r.choice(punct)
            # at least one of each class so it reads like a generated password
            chars[0] = self.r.choice(UPPER)
            chars[-1] = self.r.choice(DIGITS + LOWER)
            return "".join(chars)
        return self.clean(one)


# --------------------------------------------------------------------------------------
# Corpus model: files hold text with markers; markers resolve to planted values.
# --------------------------------------------------------------------------------------

MARK_RE = re.compile("\ue000(\\d+)\ue001")


class Item:
    def __init__(self, family, kind, value, text, decoy):
        assert value in text, (value, text)
        self.family, self.kind, self.value, self.text, self.decoy = family, kind, value, text, decoy
        self.used = 0


class Pool:
    """Files of one syntax that key/value entries are spread over."""

    def __init__(self, name, files):
        self.name = name
        self.files = files


class LineFile:
    def __init__(self, path, layout, fillers=()):
        # layout: list of str lines and ("section", name) placeholders
        self.path = path
        self.layout = layout
        self.sections = {x[1]: [] for x in layout if isinstance(x, tuple)}
        self.fillers = list(fillers)

    def add(self, text, section=None):
        if section is None:
            section = next(iter(self.sections))
        self.sections[section].append(text)

    def render(self, r):
        out = []
        for part in self.layout:
            if isinstance(part, tuple):
                for e in self.sections[part[1]]:
                    if self.fillers and part[1] in getattr(self, "filler_sections", (part[1],)) and r.random() < 0.45:
                        out.append(r.choice(self.fillers))
                    out.append(e)
            else:
                out.append(part)
        return "\n".join(out) + "\n"


class JsonFile:
    def __init__(self, path, base, sections):
        self.path = path
        self.data = base
        self.section_names = sections

    def add(self, key, marker, r, section=None):
        sec = section or r.choice(self.section_names)
        node = self.data
        for k in sec.split("."):
            node = node.setdefault(k, {})
        node[key] = marker

    def render(self, r):
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"


class Corpus:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.g = Gen(self.r)
        self.items = []
        self.files = {}  # path -> LineFile | JsonFile | str
        self.pools = {}

    # ---- markers ------------------------------------------------------------------
    def _mark(self, family, kind, value, text, decoy):
        it = Item(family, kind, value, value if text is None else text, decoy)
        self.items.append(it)
        return "\ue000%d\ue001" % (len(self.items) - 1)

    def S(self, family, kind, value, text=None):
        # markers only: a real format may contain a long run (OpenSSH keys hold "AAAAAAAA")
        if not isinstance(value, str) or any(m in value.lower() for m in PLACEHOLDER_MARKERS):
            raise ValueError(f"planted {family}/{kind} value looks like a placeholder: {value!r}")
        return self._mark(family, kind, value, text, False)

    def D(self, family, kind, value, text=None):
        return self._mark(family, kind, value, text, True)

    # ---- files --------------------------------------------------------------------
    def put(self, path, content):
        assert path not in self.files, path
        self.files[path] = content

    def pool(self, name):
        return self.pools[name]

    def pick(self, pool):
        return self.r.choice(self.pools[pool].files)

    # ---- key naming -----------------------------------------------------------------
    @staticmethod
    def key(words, style):
        w = words.split()
        if style == "UPPER":
            return "_".join(w).upper()
        if style == "snake":
            return "_".join(w).lower()
        if style == "camel":
            return w[0].lower() + "".join(x.capitalize() for x in w[1:])
        if style == "Pascal":
            return "".join(x.capitalize() for x in w)
        if style == "kebab":
            return "-".join(w).lower()
        if style == "props":
            return (w[0] + "." + "-".join(w[1:])).lower() if len(w) > 1 else w[0].lower()
        raise ValueError(style)

    def kv(self, pool, words, marker, section=None):
        """Put `words = marker` into a random file of `pool`, in that syntax."""
        r = self.r
        f = self.pick(pool)
        K = self.key
        q = r.choice(['"', '"', "'", ""])
        if pool == "env":
            line = r.choice([f"{K(words, 'UPPER')}={marker}", f'{K(words, "UPPER")}="{marker}"',
                             f"{K(words, 'UPPER')}={marker}"])
        elif pool == "sh":
            line = r.choice([f'export {K(words, "UPPER")}="{marker}"', f"export {K(words, 'UPPER')}='{marker}'",
                             f'{K(words, "UPPER")}="{marker}"'])
        elif pool == "py":
            if section == "func":
                line = f'    {K(words, "snake")} = "{marker}"'
            else:
                qq = "'" if q == "'" else '"'
                line = K(words, "UPPER") + " = " + qq + marker + qq
        elif pool in ("js", "ts"):
            if section == "obj":
                line = f"  {K(words, 'camel')}: '{marker}',"
            else:
                kw = "export const" if pool == "ts" else "const"
                line = f'{kw} {K(words, "UPPER")} = "{marker}";'
        elif pool == "go":
            section = "const"
            line = f'\t{K(words, "camel")} = "{marker}"'
        elif pool == "java":
            section = "fields"
            line = f'    private static final String {K(words, "UPPER")} = "{marker}";'
        elif pool == "yaml":
            line = f"  {K(words, 'snake')}: {q if q != chr(39) else ''}{marker}{q if q != chr(39) else ''}"
        elif pool == "k8s-secret":
            line = f"  {K(words, 'UPPER')}: {q}{marker}{q}" if q != "" else f"  {K(words, 'UPPER')}: {marker}"
        elif pool == "k8s-deploy":
            line = f"            - name: {K(words, 'UPPER')}\n              value: \"{marker}\""
        elif pool == "compose":
            line = f"      {K(words, 'UPPER')}: {marker}" if q == "" else f'      {K(words, "UPPER")}: "{marker}"'
        elif pool == "gha":
            section = "env"
            line = f"  {K(words, 'UPPER')}: {marker}"
        elif pool == "tf":
            section = "locals"
            line = f'  {K(words, "snake")} = "{marker}"'
        elif pool == "tfvars":
            line = f'{K(words, "snake")} = "{marker}"'
        elif pool == "docker":
            line = r.choice([f"ENV {K(words, 'UPPER')}={marker}", f'ENV {K(words, "UPPER")}="{marker}"',
                             f"ARG {K(words, 'UPPER')}={marker}"])
        elif pool == "ini":
            line = f"{K(words, 'snake')} = {marker}"
        elif pool == "props":
            line = f"{K(words, 'props')}={marker}"
        elif pool == "xml":
            line = f'    <add key="{K(words, "Pascal")}" value="{marker}" />'
        elif pool == "toml":
            line = f'{K(words, "snake")} = "{marker}"'
        elif pool == "json":
            f.add(K(words, "camel"), marker, r, section)
            return
        else:
            raise ValueError(pool)
        f.add(line, section)

    def raw(self, pool, template, marker, section=None):
        f = self.pick(pool)
        f.add(template.replace("@@", marker), section)

    # ---- output ------------------------------------------------------------------
    def write(self, outdir):
        truth = []
        for path in sorted(self.files):
            obj = self.files[path]
            content = obj if isinstance(obj, str) else obj.render(self.r)
            out = []
            pos = 0
            lines_before = 0  # newlines in the output so far
            last = 0
            for m in MARK_RE.finditer(content):
                chunk = content[last:m.start()]
                out.append(chunk)
                lines_before += chunk.count("\n")
                it = self.items[int(m.group(1))]
                it.used += 1
                pre = it.text[: it.text.index(it.value)]
                line = lines_before + pre.count("\n") + 1
                rec = {
                    "path": path,
                    "line": line,
                    "end_line": line + it.value.count("\n"),
                    "family": it.family,
                    "kind": it.kind,
                    "value": it.value,
                    "decoy": it.decoy,
                }
                truth.append(rec)
                out.append(it.text)
                lines_before += it.text.count("\n")
                last = m.end()
            out.append(content[last:])
            text = "".join(out)
            assert "\ue000" not in text and "\ue001" not in text, path
            full = os.path.join(outdir, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            # self-check: each value really starts on its recorded line
            file_lines = text.split("\n")
            for rec in truth:
                if rec["path"] != path:
                    continue
                rest = "\n".join(file_lines[rec["line"] - 1:])
                first = file_lines[rec["line"] - 1]
                v0 = rec["value"].split("\n")[0]
                assert v0 in first and rest.find(rec["value"]) != -1 and rest.find(rec["value"]) < len(first), rec
        unused = [i for i, it in enumerate(self.items) if it.used != 1]
        assert not unused, f"markers used != once: {[(self.items[i].family, self.items[i].kind, self.items[i].used) for i in unused]}"
        truth.sort(key=lambda t: (t["path"], t["line"], t["value"]))
        with open(os.path.join(outdir, "truth.json"), "w", encoding="utf-8") as fh:
            json.dump(truth, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
        return truth


# --------------------------------------------------------------------------------------
# Token formats (public formats; random bodies)
# --------------------------------------------------------------------------------------

class Tokens:
    def __init__(self, g):
        self.g = g
        self.r = g.r

    # AWS: access key id = 4-char prefix + 16 base32 characters; secret = 40 base64 chars
    def aws_akid(self, prefix="AKIA"):
        return prefix + self.g.s(B32, 16)

    def aws_secret(self):
        return self.g.s(B64, 40)

    def aws_session(self):
        if self.r.random() < 0.5:
            return "IQoJb3JpZ2luX2VjE" + self.g.s(B64, 380)
        return "FwoGZXIvYXdzE" + self.g.s(B64, 300)

    # Google Cloud
    def gcp_api_key(self):
        return "AIzaSy" + self.g.s(B64URL, 33)

    def gcp_oauth_secret(self):
        return "GOCSPX-" + self.g.s(B64URL, 28)

    def gcp_refresh(self):
        return "1//0" + self.g.s(B64URL, 99)

    def gcp_access(self):
        return "ya29.a0" + self.g.s(B64URL, 160)

    # Azure
    def azure_storage_key(self):
        return self.g.clean(lambda: b64(self.g.bytes(64)))

    def azure_sb_key(self):
        return self.g.clean(lambda: b64(self.g.bytes(32)))

    def azure_sas_sig(self):
        raw = self.g.clean(lambda: b64(self.g.bytes(32)))
        return raw.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")

    def azure_client_secret(self):
        return self.g.clean(lambda: self.g.s(ALNUM + "_~.", 3) + self.r.choice("78") + "Q~"
                            + self.g.s(ALNUM + "_~.-", 34))

    def azure_devops_pat(self):
        return self.g.s(LOWER_B32, 52)

    # GitHub
    def github(self, prefix):
        return self.g.clean(lambda: fakes.checksum_token(prefix, self.r))

    def github_fine_grained(self):
        return "github_pat_11" + self.g.s(UPPER + DIGITS, 20) + "_" + self.g.s(ALNUM, 59)

    # GitLab
    def glpat(self):
        return "glpat-" + self.g.s(B64URL, 20)

    def glpat_routable(self):
        return "glpat-" + self.g.s(B64URL, 36) + ".01" + self.g.s(LOWER + DIGITS, 7)

    def gitlab(self, prefix, n=20, alphabet=B64URL):
        return prefix + self.g.s(alphabet, n)

    # Bitbucket / Atlassian
    def bitbucket_app_password(self):
        return "ATBB" + self.g.s(ALNUM, 24) + self.g.s(HEXU, 8)

    def atlassian_cloud_token(self, prefix="ATATT3xFfGF0"):
        return prefix + self.g.s(B64URL, 171) + "=" + self.g.s(HEXU, 8)

    # Slack
    def slack_bot(self):
        return f"xoxb-{self.g.digits(12)}-{self.g.digits(13)}-{self.g.s(ALNUM, 24)}"

    def slack_user(self):
        return f"xoxp-{self.g.digits(12)}-{self.g.digits(12)}-{self.g.digits(13)}-{self.g.hex(32)}"

    def slack_app(self):
        return f"xapp-1-A{self.g.s(UPPER + DIGITS, 10)}-{self.g.digits(13)}-{self.g.hex(64)}"

    def slack_refresh(self):
        return "xoxe-1-" + self.g.s(ALNUM, 146)

    def slack_webhook(self):
        return (f"https://hooks.slack.com/services/T{self.g.s(UPPER + DIGITS, 8)}/"
                f"B{self.g.s(UPPER + DIGITS, 10)}/{self.g.s(ALNUM, 24)}")

    def slack_workflow_webhook(self):
        return (f"https://hooks.slack.com/workflows/T{self.g.s(UPPER + DIGITS, 8)}/"
                f"A{self.g.s(UPPER + DIGITS, 10)}/{self.g.digits(18)}/{self.g.s(ALNUM, 24)}")

    # Discord: base64(snowflake user id) . base64url timestamp (6) . HMAC (27 or 38)
    def discord_bot(self):
        def one():
            uid = str(self.r.randint(10 ** 17, 13 * 10 ** 17))
            part1 = base64.b64encode(uid.encode()).decode().rstrip("=")
            return f"{part1}.{self.g.s(B64URL, 6)}.{self.g.s(B64URL, self.r.choice([27, 38]))}"
        return self.g.clean(one)

    def discord_webhook(self):
        host = self.r.choice(["discord.com", "discordapp.com"])
        return f"https://{host}/api/webhooks/{self.g.digits(19)}/{self.g.s(B64URL, 68)}"

    # Telegram: bot id : 35 chars starting with AA
    def telegram(self):
        return f"{self.g.digits(self.r.choice([9, 10]))}:AA{self.g.s(B64URL, 33)}"

    # Stripe
    def stripe(self, prefix, long=True):
        if long:
            return prefix + "51" + self.g.s(ALNUM, 97)
        return prefix + self.g.s(ALNUM, 24)

    # Square
    def square_access(self):
        return "EAAA" + self.g.s(B64URL, 60)

    # PayPal / Braintree
    def braintree(self):
        return f"access_token$production${self.g.s(LOWER + DIGITS, 16)}${self.g.hex(32)}"

    def paypal_secret(self):
        return "E" + self.g.s(B64URL, 79)

    # Twilio
    def twilio_auth(self):
        return self.g.hex(32)

    # SendGrid
    def sendgrid(self):
        return f"SG.{self.g.s(B64URL, 22)}.{self.g.s(B64URL, 43)}"

    # Mailgun
    def mailgun_key(self):
        return "key-" + self.g.hex(32)

    def mailgun_new(self):
        return f"{self.g.hex(32)}-{self.g.hex(8)}-{self.g.hex(8)}"

    # Mailchimp
    def mailchimp(self):
        return f"{self.g.hex(32)}-us{self.r.randint(1, 21)}"

    # OpenAI
    def openai(self, kind="proj"):
        if kind == "legacy":
            return "sk-" + self.g.s(ALNUM, 20) + "T3BlbkFJ" + self.g.s(ALNUM, 20)
        return f"sk-{kind}-" + self.g.s(B64URL, 74) + "T3BlbkFJ" + self.g.s(B64URL, 74)

    # Anthropic
    def anthropic(self, kind="api03"):
        return f"sk-ant-{kind}-" + self.g.s(B64URL, 93) + "AA"

    # Hugging Face
    def hf(self, prefix="hf_"):
        return prefix + self.g.s(string.ascii_letters, 34)

    # PyPI: "pypi-" + base64url(macaroon v2 with location pypi.org)
    def pypi(self, location=b"pypi.org", project=None):
        def one():
            ident = str(uuid.UUID(int=self.r.getrandbits(128), version=4)).encode()
            perms = {"projects": [project]} if project else "user"
            cav = json.dumps({"version": 1, "permissions": perms}).encode()
            blob = (b"\x02\x01" + bytes([len(location)]) + location + b"\x02" + bytes([len(ident)]) + ident
                    + b"\x00\x02" + bytes([len(cav)]) + cav + b"\x00\x00\x06\x20" + self.g.bytes(32))
            return "pypi-" + b64url(blob)
        return self.g.clean(one)

    # Heroku
    def heroku_v2(self):
        return "HRKU-AA" + self.g.s(B64URL, 58)

    # Terraform Cloud / Enterprise
    def tfc(self):
        return self.g.s(ALNUM, 14) + ".atlasv1." + self.g.s(B64URL, 67)

    # HashiCorp Vault
    def vault(self, kind):
        if kind == "hvs":
            return "hvs." + self.g.s(ALNUM, 24)
        if kind == "hvs-long":
            return "hvs.CAESI" + self.g.s(B64URL, 86)
        if kind == "hvb":
            return "hvb.AAAAAQ" + self.g.s(B64URL, 132)
        if kind == "legacy":
            return "s." + self.g.s(ALNUM, 24)
        raise ValueError(kind)

    # Doppler
    def doppler(self, kind):
        return f"dp.{kind}." + self.g.s(ALNUM, 43)

    # 1Password
    def op_secret_key(self):
        a = UPPER + DIGITS
        return "A3-" + "-".join([self.g.s(a, 6), self.g.s(a, 6), self.g.s(a, 5), self.g.s(a, 5),
                                 self.g.s(a, 5), self.g.s(a, 5)])

    def op_service_account(self):
        def one():
            doc = {
                "signInAddress": "acme-corp.1password.com",
                "userAuth": {"method": "SRPg-4096", "alg": "PBES2g-HS256", "iterations": 650000,
                             "salt": self.g.s(B64URL, 22)},
                "email": self.g.s(LOWER + DIGITS, 13) + "@1passwordserviceaccounts.com",
                "srpX": self.g.hex(64),
                "muk": {"alg": "A256GCM", "ext": True, "k": self.g.s(B64URL, 43),
                        "key_ops": ["encrypt", "decrypt"], "kty": "oct", "kid": "mp"},
                "secretKey": self.op_secret_key(),
                "throttleSecret": {"seed": self.g.hex(64), "uuid": self.g.s(UPPER + DIGITS, 26)},
                "deviceUuid": self.g.s(LOWER + DIGITS, 26),
            }
            return "ops_" + b64(json.dumps(doc, separators=(",", ":")).encode())
        return self.g.clean(one)

    # JWT
    def jwt(self, alg="HS256", claims=None, kid=None, typ_first=False):
        def one():
            if typ_first:
                header = {"typ": "JWT", "alg": alg}
            elif kid:
                header = {"alg": alg, "kid": kid, "typ": "JWT"}
            else:
                header = {"alg": alg, "typ": "JWT"}
            payload = claims or {
                "sub": self.g.uuid4(),
                "iss": "https://auth.acme-corp.io/",
                "aud": "api.acme-corp.io",
                "iat": self.r.randint(1690000000, 1730000000),
                "exp": self.r.randint(1760000000, 1900000000),
                "scope": "read:orders write:orders",
            }
            siglen = {"HS256": 32, "HS512": 64, "RS256": 256, "ES256": 64}[alg]
            return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                             b64url(json.dumps(payload, separators=(",", ":")).encode()),
                             b64url(self.g.bytes(siglen))])
        return self.g.clean(one)


# ---- PEM / keys ----------------------------------------------------------------------

def pem_wrap(label, der, width=64):
    body = base64.b64encode(der).decode()
    rows = [body[i:i + width] for i in range(0, len(body), width)]
    return "\n".join([f"-----BEGIN {label}-----", *rows, f"-----END {label}-----"])


def der_rsa_private(g):  # PKCS#1 RSAPrivateKey, 2048-bit sized
    return bytes.fromhex("308204a40201000282010100") + g.bytes(1180)


def der_pkcs8_private(g):
    return bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8") + g.bytes(1190)


def der_ec_private(g):
    return (bytes.fromhex("30770201010420") + g.bytes(32)
            + bytes.fromhex("a00a06082a8648ce3d030107a14403420004") + g.bytes(64))


def der_dsa_private(g):
    return bytes.fromhex("308201bb02010002818100") + g.bytes(432)


def der_encrypted_pkcs8(g):
    return (bytes.fromhex("30820526305006092a864886f70d01050d3043302206092a864886f70d01050c3015")
            + b"\x04\x08" + g.bytes(8) + bytes.fromhex("020208000201") + g.bytes(1280))


def der_public_rsa(g):
    return (bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
            + g.bytes(256) + bytes.fromhex("0203010001"))


def der_certificate(g):
    return bytes.fromhex("3082037b30820263a003020102021400") + g.bytes(880)


def crc24(data):
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def pgp_block(kind, g, n):
    data = (b"\x95\x03\xc6\x04" if kind == "PRIVATE KEY" else b"\x99\x01\x8d\x04") + g.bytes(n)
    body = base64.b64encode(data).decode()
    rows = [body[i:i + 64] for i in range(0, len(body), 64)]
    chk = "=" + base64.b64encode(crc24(data).to_bytes(3, "big")).decode()
    return "\n".join([f"-----BEGIN PGP {kind} BLOCK-----", "", *rows, chk, f"-----END PGP {kind} BLOCK-----"])


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def openssh_private(g, kind="ed25519", encrypted=False, comment="deploy@acme-ci"):
    """An OpenSSH private key laid out like ssh-keygen's (openssh-key-v1), random key material."""
    s = ssh_string
    if kind == "ed25519":
        pk = g.bytes(32)
        pub = s(b"ssh-ed25519") + s(pk)
        keypart = s(b"ssh-ed25519") + s(pk) + s(g.bytes(32) + pk)
    else:
        n = b"\x00" + bytes([0xC0 | g.r.getrandbits(6)]) + g.bytes(383)
        pub = s(b"ssh-rsa") + s(b"\x01\x00\x01") + s(n)
        keypart = (s(b"ssh-rsa") + s(n) + s(b"\x01\x00\x01") + s(b"\x00" + g.bytes(384)) + s(b"\x00" + g.bytes(192))
                   + s(b"\x00" + g.bytes(192)) + s(b"\x00" + g.bytes(192)))
    check = g.bytes(4)
    plain = check + check + keypart + s(comment.encode())
    block = 16 if encrypted else 8
    plain += bytes(range(1, 1 + (-len(plain)) % block))
    if encrypted:
        head = s(b"aes256-ctr") + s(b"bcrypt") + s(s(g.bytes(16)) + struct.pack(">I", 16))
        priv = g.bytes(len(plain))
    else:
        head = s(b"none") + s(b"none") + s(b"")
        priv = plain
    blob = b"openssh-key-v1\0" + head + struct.pack(">I", 1) + s(pub) + s(priv)
    body = b64(blob)
    rows = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----", *rows, "-----END OPENSSH PRIVATE KEY-----"])


def ssh_rsa_public(g, comment):
    blob = ssh_string(b"ssh-rsa") + ssh_string(b"\x01\x00\x01") + ssh_string(b"\x00" + g.bytes(256))
    return f"ssh-rsa {b64(blob)} {comment}"


def ssh_ed25519_public(g, comment):
    blob = ssh_string(b"ssh-ed25519") + ssh_string(g.bytes(32))
    return f"ssh-ed25519 {b64(blob)} {comment}"


def indent_block(text, pad):
    lines = text.split("\n")
    return "\n".join([lines[0]] + [pad + x if x else x for x in lines[1:]])


def png_bytes(g, w=12, h=12):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + g.bytes(w * 4) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# --------------------------------------------------------------------------------------
# File skeletons for the key/value pools
# --------------------------------------------------------------------------------------

def build_pools(c):
    P = {}

    def lf(path, layout, fillers=()):
        f = LineFile(path, layout, fillers)
        c.put(path, f)
        return f

    env_fill = ["", "# --- runtime ---", "LOG_LEVEL=info", "PORT=8080", "TZ=UTC", "NODE_ENV=production",
                "FEATURE_FLAGS=checkout_v2,search_v3", "WORKERS=4", "REQUEST_TIMEOUT_MS=15000"]
    P["env"] = [lf(p, ["# " + hdr, "APP_NAME=" + name, ("section", "main"), "SENTRY_ENVIRONMENT=production"], env_fill)
                for p, hdr, name in [(".env", "local development defaults", "acme"),
                                     ("services/api/.env.production", "api service, production", "acme-api"),
                                     ("deploy/staging.env", "staging environment", "acme-staging"),
                                     ("apps/web/.env.local", "web app", "acme-web"),
                                     ("services/worker/.env", "background worker", "acme-worker")]]

    sh_fill = ['echo "==> ${0##*/}: $(date -u +%FT%TZ)"', "", "# retry transient failures",
               'cd "$(dirname "$0")/.."', 'log() { printf "%s %s\\n" "$(date -u +%T)" "$*"; }',
               'trap \'echo "failed at line $LINENO" >&2\' ERR']
    P["sh"] = [lf(p, ["#!/usr/bin/env bash", "# " + hdr, "set -euo pipefail", "", ("section", "main"), "",
                      'echo "done"'], sh_fill)
               for p, hdr in [("scripts/deploy.sh", "Deploy the current build to production."),
                              ("scripts/bootstrap.sh", "Bootstrap a developer machine."),
                              ("ops/backup.sh", "Nightly backup of the primary databases."),
                              ("scripts/release.sh", "Publish packages and container images.")]]

    py_fill = ["", "TIMEOUT_SECONDS = 30", "RETRIES = 3", "# ----------------------------------------------------------",
               'ALLOWED_HOSTS = ["api.acme-corp.io", "admin.acme-corp.io"]', "logger = logging.getLogger(__name__)"]
    P["py"] = [lf(p, ['"""' + doc + '"""', "import logging", "import os", "", "import requests", "",
                      ("section", "main"), "", "", "def client_session():",
                      "    session = requests.Session()", ("section", "func"), "    return session", ""],
                  py_fill)
               for p, doc in [("services/api/app/settings.py", "Settings for the API service."),
                              ("services/worker/tasks/notify.py", "Notification tasks."),
                              ("tools/sync_users.py", "Synchronise users between the identity provider and the CRM."),
                              ("services/api/app/clients.py", "Third-party API clients.")]]
    for f in P["py"]:
        f.filler_sections = ("main",)

    js_fill = ["", "const TIMEOUT_MS = 30000;", "// ---------------------------------------------------------",
               "const region = 'eu-west-1';", "const retry = { attempts: 3, backoffMs: 250 };"]
    P["js"] = [lf(p, ["'use strict';", "", "const path = require('path');", "", ("section", "main"), "",
                      "const config = {", "  env: 'production',", ("section", "obj"), "};", "",
                      "module.exports = config;"], js_fill)
               for p in ["apps/web/src/config.js", "apps/web/server/index.js", "services/notifier/lib/client.js"]]
    for f in P["js"]:
        f.filler_sections = ("main",)
    P["ts"] = [lf(p, ["import axios from 'axios';", "", ("section", "main"), "",
                      "export const settings = {", "  retries: 3,", ("section", "obj"), "};", ""], js_fill)
               for p in ["apps/admin/src/api.ts", "apps/admin/src/integrations.ts"]]
    for f in P["ts"]:
        f.filler_sections = ("main",)

    P["go"] = [lf(p, [f"package {pkg}", "", "import (", '\t"net/http"', '\t"time"', ")", "",
                      "const (", "\tdefaultTimeout = 30 * time.Second", ("section", "const"), ")", "",
                      "func newRequest(url string) (*http.Request, error) {",
                      '\treq, err := http.NewRequest(http.MethodGet, url, nil)',
                      "\tif err != nil {", "\t\treturn nil, err", "\t}", ("section", "func"), "\treturn req, nil", "}"])
               for p, pkg in [("services/gateway/internal/config/config.go", "config"),
                              ("pkg/clients/clients.go", "clients")]]

    P["java"] = [lf(p, [f"package com.acme.billing;", "", "import java.net.http.HttpRequest;", "",
                        f"public final class {cls} {{", ("section", "fields"), "",
                        "    HttpRequest.Builder request(String url) {",
                        "        HttpRequest.Builder b = HttpRequest.newBuilder(java.net.URI.create(url));",
                        ("section", "method"), "        return b;", "    }", "}"])
                 for p, cls in [("services/billing/src/main/java/com/acme/billing/BillingConfig.java", "BillingConfig"),
                                ("services/billing/src/main/java/com/acme/billing/PaymentGateway.java", "PaymentGateway")]]

    yaml_fill = ["  # ---", "  timeout_seconds: 30", "  region: eu-west-1", "  retries: 3"]
    P["yaml"] = [lf(p, ["# " + hdr, top + ":", "  name: " + name, ("section", "main"), "logging:", "  level: info"],
                    yaml_fill)
                 for p, hdr, top, name in [("config/application.yml", "application configuration", "app", "acme"),
                                           ("deploy/helm/values-prod.yaml", "helm values for production", "config", "acme-api"),
                                           ("deploy/ansible/group_vars/all.yml", "ansible group vars", "acme", "fleet")]]

    P["k8s-secret"] = [lf(p, ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}", "  namespace: prod",
                              "type: Opaque", "stringData:", ("section", "main")])
                       for p, name in [("deploy/k8s/secrets.yaml", "api-secrets"),
                                       ("deploy/k8s/worker-secrets.yaml", "worker-secrets")]]

    P["k8s-deploy"] = [lf(p, ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {name}",
                              "  namespace: prod", "spec:", "  replicas: 3", "  selector:", "    matchLabels:",
                              f"      app: {name}", "  template:", "    metadata:", "      labels:",
                              f"        app: {name}", "    spec:", "      containers:", f"        - name: {name}",
                              f"          image: ghcr.io/acme-corp/{name}:2.8.1", "          env:",
                              "            - name: LOG_LEVEL", "              value: info", ("section", "env"),
                              "          ports:", "            - containerPort: 8080"])
                       for p, name in [("deploy/k8s/api-deployment.yaml", "api"),
                                       ("deploy/k8s/worker-deployment.yaml", "worker")]]

    P["compose"] = [lf(p, ["services:", "  app:", f"    image: ghcr.io/acme-corp/{name}:latest", "    environment:",
                           "      LOG_LEVEL: info", ("section", "env"), "    ports:", '      - "8080:8080"'])
                    for p, name in [("docker-compose.yml", "api"),
                                    ("services/worker/docker-compose.override.yml", "worker")]]

    P["gha"] = [lf(p, [f"name: {name}", "on:", "  push:", "    branches: [main]", "env:", "  CI: true",
                       ("section", "env"), "jobs:", f"  {name}:", "    runs-on: ubuntu-latest", "    steps:",
                       ("section", "checkout"), ("section", "steps")])
                for p, name in [(".github/workflows/deploy.yml", "deploy"), (".github/workflows/release.yml", "release"),
                                (".github/workflows/nightly.yml", "nightly")]]

    P["json"] = []
    for p, base, secs in [
        ("config/production.json", {"service": "acme-api", "port": 8080}, ["integrations", "auth", "storage"]),
        ("apps/web/config/default.json", {"name": "acme-web", "locale": "en-GB"}, ["services", "analytics"]),
        ("services/notifier/config.json", {"queue": "notifications", "concurrency": 8}, ["providers", "channels"]),
        ("apps/admin/appsettings.json", {"Logging": {"LogLevel": {"Default": "Information"}}, "AllowedHosts": "*"},
         ["ConnectionStrings", "Integrations"]),
    ]:
        f = JsonFile(p, base, secs)
        c.put(p, f)
        P["json"].append(f)

    tf_fill = ["", "  # ---"]
    P["tf"] = [lf(p, ["# " + hdr, "", ("section", "top"), "", "locals {", '  environment = "production"',
                      ("section", "locals"), "}"], tf_fill)
               for p, hdr in [("infra/terraform/main.tf", "core infrastructure"),
                              ("infra/terraform/providers.tf", "providers"),
                              ("infra/terraform/modules/monitoring/main.tf", "monitoring module")]]
    for f in P["tf"]:
        f.filler_sections = ()
    P["tfvars"] = [lf("infra/terraform/prod.auto.tfvars", ['region = "eu-west-1"', ("section", "main"),
                                                            'instance_type = "m6i.large"'])]

    P["docker"] = [lf(p, [f"FROM {img}", "WORKDIR /app", ("section", "main"), "COPY . .", f"CMD {cmd}"],
                      ["RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*",
                       "EXPOSE 8080", "ENV PYTHONUNBUFFERED=1"])
                   for p, img, cmd in [("Dockerfile", "python:3.12-slim", '["gunicorn", "app.wsgi"]'),
                                       ("services/worker/Dockerfile", "python:3.12-slim", '["celery", "-A", "tasks", "worker"]'),
                                       ("apps/web/Dockerfile", "node:20-alpine", '["node", "server/index.js"]')]]

    P["ini"] = [lf(p, ["; " + hdr, "[" + sec + "]", "debug = false", ("section", "main"), "", "[logging]", "level = INFO"],
                   ["timeout = 30", "", "; ---"])
                for p, hdr, sec in [("config/app.ini", "application settings", "app"),
                                    ("services/worker/worker.cfg", "worker settings", "worker")]]

    P["props"] = [lf(p, ["# " + hdr, "server.port=8080", ("section", "main"), "logging.level.root=INFO"],
                     ["spring.jpa.open-in-view=false", "", "management.endpoints.web.exposure.include=health,info"])
                  for p, hdr in [("services/billing/src/main/resources/application.properties", "billing service"),
                                 ("gradle.properties", "build properties")]]

    P["xml"] = [lf(p, ['<?xml version="1.0" encoding="utf-8"?>', "<configuration>", "  <appSettings>",
                       '    <add key="Environment" value="Production" />', ("section", "main"), "  </appSettings>",
                       "</configuration>"])
                for p in ["apps/legacy/Web.config", "services/billing/src/main/resources/integrations.config.xml"]]

    P["toml"] = [lf(p, ["# " + hdr, "[" + sec + "]", 'name = "' + name + '"', ("section", "main"), "",
                        "[server]", "port = 8080"])
                 for p, hdr, sec, name in [("services/gateway/config.toml", "gateway", "upstream", "gateway"),
                                           ("config/settings.toml", "settings", "integrations", "acme")]]

    P["http"] = [lf(p, ["# " + hdr, "@host = https://api.acme-corp.io", "", ("section", "main")])
                 for p, hdr in [("api-tests/requests.http", "manual API checks"),
                                ("api-tests/integrations.http", "third-party API checks")]]

    for name, files in P.items():
        c.pools[name] = Pool(name, files)


# --------------------------------------------------------------------------------------
# Planted credentials, per family
# --------------------------------------------------------------------------------------

def plant_all(c, t):
    g, r = c.g, c.r
    S, kv, raw = c.S, c.kv, c.raw

    # ---------------------------------------------------------------- aws
    ak, sk = t.aws_akid(), t.aws_secret()
    ak2, sk2 = t.aws_akid(), t.aws_secret()
    c.put("deploy/aws/credentials", "\n".join([
        "[default]",
        f"aws_access_key_id = {S('aws', 'access-key-id', ak)}",
        f"aws_secret_access_key = {S('aws', 'secret-access-key', sk)}",
        "region = eu-west-1", "",
        "[ci]",
        f"aws_access_key_id={S('aws', 'access-key-id', ak2)}",
        f"aws_secret_access_key={S('aws', 'secret-access-key', sk2)}", ""]))
    raw("env", "AWS_ACCESS_KEY_ID=@@\nAWS_SECRET_ACCESS_KEY=" + S("aws", "secret-access-key", t.aws_secret()),
        S("aws", "access-key-id", t.aws_akid()))
    raw("tf", '\n'.join(['provider "aws" {', '  region     = "eu-west-1"', '  access_key = "@@"',
                         '  secret_key = "' + S("aws", "secret-access-key", t.aws_secret()) + '"', "}"]),
        S("aws", "access-key-id", t.aws_akid()), section="top")
    raw("py", "\n".join(['s3 = boto3.client(', '    "s3",', '    aws_access_key_id="@@",',
                         '    aws_secret_access_key="' + S("aws", "secret-access-key", t.aws_secret()) + '",', ")"]),
        S("aws", "access-key-id", t.aws_akid()), section="main")
    raw("js", "\n".join(["const s3 = new S3Client({", "  region: 'eu-west-1',",
                         "  credentials: { accessKeyId: '@@', secretAccessKey: '"
                         + S("aws", "secret-access-key", t.aws_secret()) + "' },", "});"]),
        S("aws", "access-key-id", t.aws_akid()), section="main")
    raw("props", "cloud.aws.credentials.secret-key=@@", S("aws", "secret-access-key", t.aws_secret()))
    raw("sh", "\n".join(["export AWS_ACCESS_KEY_ID=@@",
                         "export AWS_SECRET_ACCESS_KEY=" + S("aws", "secret-access-key", t.aws_secret()),
                         "export AWS_SESSION_TOKEN=" + S("aws", "session-token", t.aws_session())]),
        S("aws", "access-key-id", t.aws_akid("ASIA")))
    raw("gha", "  AWS_ACCESS_KEY_ID: @@", S("aws", "access-key-id", t.aws_akid()), section="env")

    # ---------------------------------------------------------------- gcp
    for proj in ["acme-prod-3f9a1", "acme-data-71c2e"]:
        pem = pem_wrap("PRIVATE KEY", der_pkcs8_private(g)).replace("\n", "\\n") + "\\n"
        email = f"deployer@{proj}.iam.gserviceaccount.com"
        sa = {"type": "service_account", "project_id": proj,
              "private_key_id": "@KEYID@", "private_key": "@KEY@", "client_email": email,
              "client_id": g.digits(21), "auth_uri": "https://accounts.google.com/o/oauth2/auth",
              "token_uri": "https://oauth2.googleapis.com/token",
              "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
              "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/deployer%40{proj}.iam.gserviceaccount.com",
              "universe_domain": "googleapis.com"}
        text = json.dumps(sa, indent=2)
        text = text.replace("@KEYID@", c.D("gcp", "service-account-key-id", g.hex(40)))
        text = text.replace("@KEY@", S("gcp", "service-account-private-key", pem))
        c.put(f"infra/gcp/{proj}-sa.json", text + "\n")
    c.put("infra/gcp/application_default_credentials.json", json.dumps({
        "client_id": g.digits(12) + "-" + g.s(LOWER + DIGITS, 32) + ".apps.googleusercontent.com",
        "client_secret": "@S1@", "refresh_token": "@S2@", "type": "authorized_user"}, indent=2)
        .replace("@S1@", S("gcp", "oauth-client-secret", t.gcp_oauth_secret()))
        .replace("@S2@", S("gcp", "oauth-refresh-token", t.gcp_refresh())) + "\n")
    c.put("apps/web/client_secret.json", json.dumps({"web": {
        "client_id": g.digits(12) + "-" + g.s(LOWER + DIGITS, 32) + ".apps.googleusercontent.com",
        "project_id": "acme-web-4417", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token", "client_secret": "@S@",
        "redirect_uris": ["https://app.acme-corp.io/oauth2/callback"]}}, indent=2)
        .replace("@S@", S("gcp", "oauth-client-secret", t.gcp_oauth_secret())) + "\n")
    kv("env", "google api key", S("gcp", "api-key", t.gcp_api_key()))
    kv("js", "google maps api key", S("gcp", "api-key", t.gcp_api_key()), section="obj")
    key = t.gcp_api_key()
    raw("py", '    resp = session.get("@@")', S("gcp", "api-key", key,
        text=f"https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key={key}"), section="func")
    kv("yaml", "gemini api key", S("gcp", "api-key", t.gcp_api_key()))
    raw("sh", 'curl -sS -H "Authorization: Bearer @@" https://storage.googleapis.com/storage/v1/b/acme-exports/o',
        S("gcp", "oauth-access-token", t.gcp_access()))
    c.put("apps/android/app/src/main/res/values/strings.xml", "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>', "<resources>", '    <string name="app_name">Acme</string>',
        f'    <string name="google_maps_key">{S("gcp", "api-key", t.gcp_api_key())}</string>', "</resources>", ""]))

    # ---------------------------------------------------------------- azure
    def storage_conn(account):
        k = t.azure_storage_key()
        return k, f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={k};EndpointSuffix=core.windows.net"
    k, conn = storage_conn("acmeprodstore")
    c.pools["json"].files[3].add("AzureWebJobsStorage", S("azure", "storage-account-key", k, text=conn), r, "ConnectionStrings")
    k, conn = storage_conn("acmelogs01")
    kv("env", "azure storage connection string", S("azure", "storage-account-key", k, text=conn))
    k, conn = storage_conn("acmebackup")
    raw("xml", '    <add key="StorageConnectionString" value="@@" />', S("azure", "storage-account-key", k, text=conn))
    sig = t.azure_sas_sig()
    raw("py", '    blob_url = "@@"', S("azure", "sas-signature", sig, text=(
        "https://acmeprodstore.blob.core.windows.net/exports/report.csv?sv=2022-11-02&ss=b&srt=co&sp=rl"
        f"&se=2026-01-31T18:00:00Z&st=2025-01-31T10:00:00Z&spr=https&sig={sig}")), section="func")
    kv("env", "azure client secret", S("azure", "client-secret", t.azure_client_secret()))
    c.pools["json"].files[3].add("ClientSecret", S("azure", "client-secret", t.azure_client_secret()), r, "Integrations")
    raw("tf", '\n'.join(['provider "azurerm" {', "  features {}", '  tenant_id     = "'
                         + c.D("azure", "tenant-id", g.uuid4()) + '"', '  client_id     = "'
                         + c.D("azure", "client-id", g.uuid4()) + '"', '  client_secret = "@@"', "}"]),
        S("azure", "client-secret", t.azure_client_secret()), section="top")
    sbk = t.azure_sb_key()
    kv("yaml", "service bus connection", S("azure", "service-bus-key", sbk, text=(
        f"Endpoint=sb://acme-prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={sbk}")))
    ck = t.azure_storage_key()
    kv("k8s-secret", "cosmos connection string", S("azure", "cosmos-key", ck, text=(
        f"AccountEndpoint=https://acme-orders.documents.azure.com:443/;AccountKey={ck};")))
    pat = t.azure_devops_pat()
    raw("sh", "git clone @@", S("azure", "devops-pat", pat, text=f"https://build:{pat}@dev.azure.com/acme-corp/platform/_git/platform"))

    # ---------------------------------------------------------------- github
    kv("env", "github token", S("github", "pat-classic", t.github("ghp_")))
    raw("sh", 'curl -sS -H "Authorization: token @@" https://api.github.com/repos/acme-corp/platform/releases',
        S("github", "pat-classic", t.github("ghp_")))
    raw("py", '    gh = Github("@@")', S("github", "pat-classic", t.github("ghp_")), section="func")
    tok = t.github("ghs_")
    raw("gha", "      - run: git push @@ HEAD:release", S("github", "installation-token", tok,
        text=f"https://x-access-token:{tok}@github.com/acme-corp/platform.git"), section="steps")
    raw("go", '\ttoken := &oauth2.Token{AccessToken: "@@"}\n\t_ = token', S("github", "oauth-token", t.github("gho_")),
        section="func")
    kv("json", "github user token", S("github", "user-to-server-token", t.github("ghu_")))
    kv("yaml", "github refresh token", S("github", "refresh-token", t.github("ghr_")))
    kv("docker", "gh token", S("github", "fine-grained-pat", t.github_fine_grained()))
    kv("tfvars", "github token", S("github", "fine-grained-pat", t.github_fine_grained()))
    kv("k8s-secret", "github app installation token", S("github", "installation-token", t.github("ghs_")))
    c.put("apps/web/.npmrc", "\n".join(["@acme-corp:registry=https://npm.pkg.github.com",
                                        f"//npm.pkg.github.com/:_authToken={S('github', 'pat-classic', t.github('ghp_'))}",
                                        "always-auth=true", ""]))

    # ---------------------------------------------------------------- gitlab
    kv("env", "gitlab token", S("gitlab", "personal-access-token", t.glpat()))
    raw("sh", "curl --header \"PRIVATE-TOKEN: @@\" https://gitlab.acme-corp.io/api/v4/projects",
        S("gitlab", "personal-access-token", t.glpat()))
    tok = t.glpat()
    raw("sh", "git remote set-url origin @@", S("gitlab", "personal-access-token", tok,
        text=f"https://oauth2:{tok}@gitlab.com/acme-corp/infra.git"))
    raw("py", '    gl = gitlab.Gitlab("https://gitlab.com", private_token="@@")',
        S("gitlab", "personal-access-token", t.glpat_routable()), section="func")
    c.put("deploy/gitlab-runner/config.toml", "\n".join([
        "concurrent = 4", "check_interval = 0", "", "[[runners]]", '  name = "acme-docker-runner"',
        '  url = "https://gitlab.com/"', f'  token = "{S("gitlab", "runner-authentication-token", t.gitlab("glrt-"))}"',
        '  executor = "docker"', "  [runners.docker]", '    image = "alpine:3.20"', ""]))
    raw("sh", "gitlab-runner register --non-interactive --url https://gitlab.com/ --registration-token @@ --executor docker",
        S("gitlab", "runner-registration-token", t.gitlab("GR1348941")))
    kv("yaml", "gitlab deploy token", S("gitlab", "deploy-token", t.gitlab("gldt-")))
    c.put(".gitlab-ci.yml", "\n".join([
        "stages: [build, deploy]", "variables:", '  DOCKER_DRIVER: overlay2',
        f"  TRIGGER_TOKEN: {S('gitlab', 'pipeline-trigger-token', t.gitlab('glptt-', 40, HEX))}",
        "build:", "  stage: build", "  script:", "    - make build", ""]))
    kv("json", "gitlab oauth secret", S("gitlab", "oauth-app-secret", t.gitlab("gloas-", 64, HEX)))
    kv("toml", "gitlab feed token", S("gitlab", "feed-token", t.gitlab("glft-")))

    # ---------------------------------------------------------------- bitbucket
    tok = t.bitbucket_app_password()
    raw("sh", "git clone @@", S("bitbucket", "app-password", tok,
        text=f"https://acme-ci:{tok}@bitbucket.org/acme-corp/mobile-app.git"))
    kv("env", "bitbucket app password", S("bitbucket", "app-password", t.bitbucket_app_password()))
    raw("py", '    session.auth = ("acme-ci", "@@")', S("bitbucket", "app-password", t.bitbucket_app_password()),
        section="func")
    kv("yaml", "bitbucket app password", S("bitbucket", "app-password", t.bitbucket_app_password()))
    kv("json", "bitbucket access token", S("bitbucket", "repository-access-token", t.atlassian_cloud_token("ATCTT3xFfGN0")))
    raw("http", "### bitbucket pull requests\nGET https://api.bitbucket.org/2.0/repositories/acme-corp/mobile-app/pullrequests\n"
        "Authorization: Bearer @@\n", S("bitbucket", "repository-access-token", t.atlassian_cloud_token("ATCTT3xFfGN0")))
    kv("env", "bitbucket oauth secret", S("bitbucket", "oauth-consumer-secret", g.s(ALNUM, 32)))
    kv("props", "bitbucket client secret", S("bitbucket", "oauth-consumer-secret", g.s(ALNUM, 32)))

    # ---------------------------------------------------------------- atlassian
    kv("env", "jira api token", S("atlassian", "api-token", t.atlassian_cloud_token()))
    kv("env", "confluence api token", S("atlassian", "api-token", t.atlassian_cloud_token()))
    raw("py", '    jira = JIRA(server="https://acme-corp.atlassian.net", basic_auth=("ops@acme-corp.io", "@@"))',
        S("atlassian", "api-token", t.atlassian_cloud_token()), section="func")
    tok = t.atlassian_cloud_token()
    raw("sh", "curl -sS -u @@ https://acme-corp.atlassian.net/rest/api/3/myself",
        S("atlassian", "api-token", tok, text=f"ops@acme-corp.io:{tok}"))
    kv("yaml", "jira token", S("atlassian", "api-token", t.atlassian_cloud_token()))
    kv("json", "jira api token", S("atlassian", "api-token-legacy", g.s(ALNUM, 24)))
    kv("ini", "confluence api token", S("atlassian", "api-token-legacy", g.s(ALNUM, 24)))
    kv("k8s-secret", "jira api token", S("atlassian", "api-token-legacy", g.s(ALNUM, 24)))

    # ---------------------------------------------------------------- slack
    kv("env", "slack bot token", S("slack", "bot-token", t.slack_bot()))
    raw("py", '    slack = WebClient(token="@@")', S("slack", "bot-token", t.slack_bot()), section="func")
    kv("k8s-secret", "slack bot token", S("slack", "bot-token", t.slack_bot()))
    kv("json", "slack user token", S("slack", "user-token", t.slack_user()))
    raw("sh", 'curl -sS -H "Authorization: Bearer @@" https://slack.com/api/users.list',
        S("slack", "user-token", t.slack_user()))
    kv("yaml", "slack app token", S("slack", "app-token", t.slack_app()))
    kv("env", "slack webhook url", S("slack", "webhook-url", t.slack_webhook()))
    raw("js", "const SLACK_HOOK = '@@';", S("slack", "webhook-url", t.slack_webhook()), section="main")
    raw("gha", "      - name: notify\n        run: |\n          curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"deployed\"}' @@",
        S("slack", "webhook-url", t.slack_webhook()), section="steps")
    kv("tf", "slack workflow webhook", S("slack", "workflow-webhook-url", t.slack_workflow_webhook()))
    kv("toml", "slack refresh token", S("slack", "config-refresh-token", t.slack_refresh()))

    # ---------------------------------------------------------------- discord
    kv("env", "discord bot token", S("discord", "bot-token", t.discord_bot()))
    raw("js", "client.login('@@');", S("discord", "bot-token", t.discord_bot()), section="main")
    raw("py", '    bot.run("@@")', S("discord", "bot-token", t.discord_bot()), section="func")
    kv("yaml", "discord token", S("discord", "bot-token", t.discord_bot()))
    kv("env", "discord webhook url", S("discord", "webhook-url", t.discord_webhook()))
    kv("json", "discord webhook", S("discord", "webhook-url", t.discord_webhook()))
    raw("sh", "curl -H 'Content-Type: application/json' -d '{\"content\":\"backup finished\"}' @@",
        S("discord", "webhook-url", t.discord_webhook()))
    kv("k8s-secret", "discord client secret", S("discord", "client-secret", g.s(B64URL, 32)))

    # ---------------------------------------------------------------- telegram
    kv("env", "telegram bot token", S("telegram", "bot-token", t.telegram()))
    tok = t.telegram()
    raw("sh", 'curl -s "@@" -d chat_id=-1001877 -d text="deploy ok"', S("telegram", "bot-token", tok,
        text=f"https://api.telegram.org/bot{tok}/sendMessage"))
    tok = t.telegram()
    raw("py", '    session.post("@@", json={"chat_id": CHAT_ID, "text": text})', S("telegram", "bot-token", tok,
        text=f"https://api.telegram.org/bot{tok}/sendMessage"), section="func")
    kv("yaml", "telegram bot token", S("telegram", "bot-token", t.telegram()))
    kv("json", "telegram token", S("telegram", "bot-token", t.telegram()))
    kv("compose", "telegram token", S("telegram", "bot-token", t.telegram()))
    raw("go", '\tbot, _ := tgbotapi.NewBotAPI("@@")\n\t_ = bot', S("telegram", "bot-token", t.telegram()), section="func")
    kv("ini", "telegram bot token", S("telegram", "bot-token", t.telegram()))

    # ---------------------------------------------------------------- stripe
    kv("env", "stripe secret key", S("stripe", "secret-key-live", t.stripe("sk_live_")))
    raw("py", 'stripe.api_key = "@@"', S("stripe", "secret-key-live", t.stripe("sk_live_", long=False)), section="main")
    raw("js", "const stripe = require('stripe')('@@');", S("stripe", "secret-key-live", t.stripe("sk_live_")), section="main")
    raw("sh", "curl https://api.stripe.com/v1/charges -u @@: -d limit=3", S("stripe", "secret-key-live", t.stripe("sk_live_")))
    raw("java", '        com.stripe.Stripe.apiKey = "@@";', S("stripe", "restricted-key-live", t.stripe("rk_live_")), section="method")
    raw("go", '\tstripe.Key = "@@"', S("stripe", "secret-key-test", t.stripe("sk_test_")), section="func")
    kv("k8s-secret", "stripe webhook secret", S("stripe", "webhook-secret", "whsec_" + g.s(ALNUM, 32)))
    kv("yaml", "stripe secret key", S("stripe", "secret-key-live", t.stripe("sk_live_", long=False)))
    kv("json", "stripe restricted key", S("stripe", "restricted-key-live", t.stripe("rk_live_")))
    kv("tfvars", "stripe api key", S("stripe", "secret-key-live", t.stripe("sk_live_")))

    # ---------------------------------------------------------------- square
    kv("env", "square access token", S("square", "access-token", t.square_access()))
    raw("py", '    square = Client(access_token="@@", environment="production")',
        S("square", "access-token", t.square_access()), section="func")
    kv("json", "square access token", S("square", "access-token", t.square_access()))
    raw("sh", 'curl https://connect.squareup.com/v2/locations -H "Authorization: Bearer @@"',
        S("square", "access-token", t.square_access()))
    kv("yaml", "square oauth token", S("square", "oauth-access-token", "sq0atp-" + g.s(B64URL, 22)))
    kv("props", "square access token", S("square", "oauth-access-token", "sq0atp-" + g.s(B64URL, 22)))
    kv("env", "square application secret", S("square", "oauth-client-secret", "sq0csp-" + g.s(B64URL, 43)))
    kv("k8s-secret", "square app secret", S("square", "oauth-client-secret", "sq0csp-" + g.s(B64URL, 43)))

    # ---------------------------------------------------------------- paypal
    kv("env", "braintree access token", S("paypal", "braintree-access-token", t.braintree()))
    raw("py", '    gateway = braintree.BraintreeGateway(access_token="@@")',
        S("paypal", "braintree-access-token", t.braintree()), section="func")
    kv("yaml", "braintree access token", S("paypal", "braintree-access-token", t.braintree()))
    kv("env", "paypal client secret", S("paypal", "client-secret", t.paypal_secret()))
    kv("json", "paypal client secret", S("paypal", "client-secret", t.paypal_secret()))
    kv("props", "paypal client secret", S("paypal", "client-secret", t.paypal_secret()))
    kv("k8s-secret", "paypal secret", S("paypal", "client-secret", t.paypal_secret()))
    kv("ini", "braintree private key", S("paypal", "braintree-private-key", g.hex(32)))

    # ---------------------------------------------------------------- shopify
    kv("env", "shopify access token", S("shopify", "admin-access-token", "shpat_" + g.hex(32)))
    raw("sh", 'curl -H "X-Shopify-Access-Token: @@" https://acme-store.myshopify.com/admin/api/2024-01/orders.json',
        S("shopify", "admin-access-token", "shpat_" + g.hex(32)))
    raw("py", '    session.headers["X-Shopify-Access-Token"] = "@@"', S("shopify", "admin-access-token", "shpat_" + g.hex(32)),
        section="func")
    kv("json", "shopify custom app token", S("shopify", "custom-app-token", "shpca_" + g.hex(32)))
    kv("yaml", "shopify custom app token", S("shopify", "custom-app-token", "shpca_" + g.hex(32)))
    kv("toml", "shopify private app password", S("shopify", "private-app-token", "shppa_" + g.hex(32)))
    kv("k8s-secret", "shopify private app token", S("shopify", "private-app-token", "shppa_" + g.hex(32)))
    kv("env", "shopify api secret", S("shopify", "shared-secret", "shpss_" + g.hex(32)))
    kv("ts", "shopify shared secret", S("shopify", "shared-secret", "shpss_" + g.hex(32)), section="obj")

    # ---------------------------------------------------------------- twilio
    raw("env", "TWILIO_ACCOUNT_SID=" + c.D("twilio", "account-sid", "AC" + g.hex(32)) + "\nTWILIO_AUTH_TOKEN=@@",
        S("twilio", "auth-token", t.twilio_auth()))
    sid = c.D("twilio", "account-sid", "AC" + g.hex(32))
    raw("py", f'    twilio = Client("{sid}", "@@")', S("twilio", "auth-token", t.twilio_auth()), section="func")
    kv("yaml", "twilio auth token", S("twilio", "auth-token", t.twilio_auth()))
    kv("json", "twilio auth token", S("twilio", "auth-token", t.twilio_auth()))
    sid = "AC" + g.hex(32)
    tok = t.twilio_auth()
    raw("sh", f"curl -X POST https://api.twilio.com/2010-04-01/Accounts/{c.D('twilio', 'account-sid', sid)}/Messages.json "
        "-u @@ --data-urlencode 'Body=deploy ok'", S("twilio", "auth-token", tok, text=f"{sid}:{tok}"))
    raw("k8s-secret", "  TWILIO_API_KEY: " + c.D("twilio", "api-key-sid", "SK" + g.hex(32)) + "\n  TWILIO_API_SECRET: @@",
        S("twilio", "api-key-secret", g.s(ALNUM, 32)))
    raw("ts", "  twilioApiKeySid: '" + c.D("twilio", "api-key-sid", "SK" + g.hex(32)) + "',\n  twilioApiKeySecret: '@@',",
        S("twilio", "api-key-secret", g.s(ALNUM, 32)), section="obj")
    kv("props", "twilio auth token", S("twilio", "auth-token", t.twilio_auth()))

    # ---------------------------------------------------------------- sendgrid
    kv("env", "sendgrid api key", S("sendgrid", "api-key", t.sendgrid()))
    raw("py", '    sg = SendGridAPIClient("@@")', S("sendgrid", "api-key", t.sendgrid()), section="func")
    raw("js", "sgMail.setApiKey('@@');", S("sendgrid", "api-key", t.sendgrid()), section="main")
    kv("yaml", "smtp password", S("sendgrid", "api-key", t.sendgrid()))
    kv("json", "sendgrid key", S("sendgrid", "api-key", t.sendgrid()))
    raw("sh", 'curl --request POST --url https://api.sendgrid.com/v3/mail/send --header "Authorization: Bearer @@"',
        S("sendgrid", "api-key", t.sendgrid()))
    kv("props", "spring mail password", S("sendgrid", "api-key", t.sendgrid()))
    kv("compose", "sendgrid api key", S("sendgrid", "api-key", t.sendgrid()))

    # ---------------------------------------------------------------- mailgun
    kv("env", "mailgun api key", S("mailgun", "private-api-key", t.mailgun_key()))
    tok = t.mailgun_key()
    raw("sh", "curl -s --user @@ https://api.mailgun.net/v3/mg.acme-corp.io/messages -F to=ops@acme-corp.io",
        S("mailgun", "private-api-key", tok, text=f"'api:{tok}'"))
    raw("py", '    session.auth = ("api", "@@")', S("mailgun", "private-api-key", t.mailgun_key()), section="func")
    kv("yaml", "mailgun api key", S("mailgun", "private-api-key", t.mailgun_key()))
    kv("json", "mailgun api key", S("mailgun", "private-api-key", t.mailgun_new()))
    kv("env", "mailgun webhook signing key", S("mailgun", "webhook-signing-key", t.mailgun_new()))
    kv("k8s-secret", "mailgun private key", S("mailgun", "private-api-key", t.mailgun_new()))
    kv("ini", "mailgun public key", c.D("mailgun", "public-validation-key", "pubkey-" + g.hex(32)))
    kv("ini", "mailgun api key", S("mailgun", "private-api-key", t.mailgun_key()))

    # ---------------------------------------------------------------- mailchimp
    kv("env", "mailchimp api key", S("mailchimp", "api-key", t.mailchimp()))
    raw("py", '    mc.set_config({"api_key": "@@", "server": "us14"})', S("mailchimp", "api-key", t.mailchimp()), section="func")
    kv("json", "mailchimp api key", S("mailchimp", "api-key", t.mailchimp()))
    kv("yaml", "mailchimp key", S("mailchimp", "api-key", t.mailchimp()))
    kv("js", "mailchimp api key", S("mailchimp", "api-key", t.mailchimp()), section="obj")
    tok = t.mailchimp()
    raw("sh", "curl -sS --user @@ https://us21.api.mailchimp.com/3.0/lists", S("mailchimp", "api-key", tok, text=f"anystring:{tok}"))
    kv("props", "mailchimp api key", S("mailchimp", "api-key", t.mailchimp()))
    kv("env", "mandrill api key", S("mailchimp", "mandrill-api-key", "md-" + g.s(B64URL, 22)))
    kv("k8s-secret", "mandrill key", S("mailchimp", "mandrill-api-key", "md-" + g.s(B64URL, 22)))

    # ---------------------------------------------------------------- openai
    kv("env", "openai api key", S("openai", "project-key", t.openai("proj")))
    raw("py", '    client = OpenAI(api_key="@@")', S("openai", "project-key", t.openai("proj")), section="func")
    raw("ts", "const openai = new OpenAI({ apiKey: '@@' });", S("openai", "legacy-key", t.openai("legacy")), section="main")
    raw("sh", 'curl https://api.openai.com/v1/models -H "Authorization: Bearer @@"', S("openai", "project-key", t.openai("proj")))
    kv("yaml", "openai api key", S("openai", "legacy-key", t.openai("legacy")))
    kv("json", "openai key", S("openai", "service-account-key", t.openai("svcacct")))
    kv("k8s-secret", "openai admin key", S("openai", "admin-key", t.openai("admin")))
    kv("toml", "openai api key", S("openai", "legacy-key", t.openai("legacy")))
    kv("gha", "openai api key", S("openai", "project-key", t.openai("proj")))

    # ---------------------------------------------------------------- anthropic
    kv("env", "anthropic api key", S("anthropic", "api-key", t.anthropic()))
    raw("py", '    claude = anthropic.Anthropic(api_key="@@")', S("anthropic", "api-key", t.anthropic()), section="func")
    raw("ts", "const anthropic = new Anthropic({ apiKey: '@@' });", S("anthropic", "api-key", t.anthropic()), section="main")
    raw("sh", 'curl https://api.anthropic.com/v1/messages -H "x-api-key: @@" -H "anthropic-version: 2023-06-01"',
        S("anthropic", "api-key", t.anthropic()))
    kv("yaml", "anthropic api key", S("anthropic", "api-key", t.anthropic()))
    kv("json", "claude api key", S("anthropic", "api-key", t.anthropic()))
    kv("k8s-secret", "anthropic admin key", S("anthropic", "admin-key", t.anthropic("admin01")))
    kv("compose", "anthropic api key", S("anthropic", "api-key", t.anthropic()))
    raw("http", "### claude\nPOST https://api.anthropic.com/v1/messages\nx-api-key: @@\nanthropic-version: 2023-06-01\n",
        S("anthropic", "admin-key", t.anthropic("admin01")))

    # ---------------------------------------------------------------- huggingface
    kv("env", "hf token", S("huggingface", "user-access-token", t.hf()))
    raw("py", '    model = AutoModel.from_pretrained("acme-corp/ranker-v3", token="@@")',
        S("huggingface", "user-access-token", t.hf()), section="func")
    raw("sh", "huggingface-cli login --token @@", S("huggingface", "user-access-token", t.hf()))
    kv("yaml", "huggingface token", S("huggingface", "user-access-token", t.hf()))
    kv("docker", "hugging face hub token", S("huggingface", "user-access-token", t.hf()))
    kv("json", "hf api token", S("huggingface", "user-access-token", t.hf()))
    kv("gha", "hf token", S("huggingface", "user-access-token", t.hf()))
    kv("k8s-secret", "hf org token", S("huggingface", "org-api-token", t.hf("api_org_")))

    # ---------------------------------------------------------------- npm
    c.put(".npmrc", "\n".join(["registry=https://registry.npmjs.org/",
                               f"//registry.npmjs.org/:_authToken={S('npm', 'access-token', t.github('npm_'))}",
                               "save-exact=true", ""]))
    kv("env", "npm token", S("npm", "access-token", t.github("npm_")))
    raw("sh", "npm config set //registry.npmjs.org/:_authToken @@", S("npm", "access-token", t.github("npm_")))
    kv("gha", "node auth token", S("npm", "access-token", t.github("npm_")))
    c.pools["docker"].files[2].add("ARG NPM_TOKEN=" + S("npm", "access-token", t.github("npm_")))
    c.pools["docker"].files[2].add("RUN echo \"//registry.npmjs.org/:_authToken=" + c.D("npm", "placeholder", "${NPM_TOKEN}")
                                   + "\" > .npmrc && npm ci && rm .npmrc")
    c.put("apps/admin/.yarnrc.yml", "\n".join(["nodeLinker: node-modules", "npmRegistryServer: \"https://registry.npmjs.org\"",
                                               f"npmAuthToken: {S('npm', 'access-token', t.github('npm_'))}", ""]))
    kv("json", "npm token", S("npm", "access-token", t.github("npm_")))
    kv("k8s-secret", "npm token", S("npm", "access-token", t.github("npm_")))

    # ---------------------------------------------------------------- pypi
    c.put("packages/sdk-python/.pypirc", "\n".join([
        "[distutils]", "index-servers =", "    pypi", "    testpypi", "", "[pypi]", "username = __token__",
        f"password = {S('pypi', 'upload-token', t.pypi(project='acme-sdk'))}", "", "[testpypi]",
        "repository = https://test.pypi.org/legacy/", "username = __token__",
        f"password = {S('pypi', 'upload-token', t.pypi(location=b'test.pypi.org'))}", ""]))
    kv("env", "twine password", S("pypi", "upload-token", t.pypi()))
    raw("sh", "twine upload -u __token__ -p @@ dist/*", S("pypi", "upload-token", t.pypi(project="acme-cli")))
    raw("sh", "poetry config pypi-token.pypi @@", S("pypi", "upload-token", t.pypi()))
    kv("gha", "pypi api token", S("pypi", "upload-token", t.pypi(project="acme-sdk")))
    kv("yaml", "pypi token", S("pypi", "upload-token", t.pypi()))
    kv("k8s-secret", "pypi token", S("pypi", "upload-token", t.pypi()))

    # ---------------------------------------------------------------- rubygems
    c.put("packages/sdk-ruby/.gem/credentials", "---\n:rubygems_api_key: "
          + S("rubygems", "api-key", "rubygems_" + g.hex(48)) + "\n")
    kv("env", "gem host api key", S("rubygems", "api-key", "rubygems_" + g.hex(48)))
    kv("gha", "gem host api key", S("rubygems", "api-key", "rubygems_" + g.hex(48)))
    raw("sh", 'curl -H "Authorization: @@" https://rubygems.org/api/v1/gems/acme-sdk/owners.json',
        S("rubygems", "api-key", "rubygems_" + g.hex(48)))
    kv("docker", "rubygems api key", S("rubygems", "api-key", "rubygems_" + g.hex(48)))
    kv("yaml", "rubygems api key", S("rubygems", "api-key", "rubygems_" + g.hex(48)))
    kv("json", "rubygems token", S("rubygems", "api-key", "rubygems_" + g.hex(48)))
    kv("k8s-secret", "gem host api key", S("rubygems", "api-key", "rubygems_" + g.hex(48)))

    # ---------------------------------------------------------------- nuget
    raw("sh", "dotnet nuget push bin/Release/*.nupkg --api-key @@ --source https://api.nuget.org/v3/index.json",
        S("nuget", "api-key", "oy2" + g.s(LOWER + DIGITS, 43)))
    raw("gha", "      - run: dotnet nuget push '**/*.nupkg' -k @@ -s https://api.nuget.org/v3/index.json",
        S("nuget", "api-key", "oy2" + g.s(LOWER + DIGITS, 43)), section="steps")
    kv("env", "nuget api key", S("nuget", "api-key", "oy2" + g.s(LOWER + DIGITS, 43)))
    kv("xml", "nuget api key", S("nuget", "api-key", "oy2" + g.s(LOWER + DIGITS, 43)))
    kv("yaml", "nuget api key", S("nuget", "api-key", "oy2" + g.s(LOWER + DIGITS, 43)))
    kv("json", "nuget key", S("nuget", "api-key", "oy2" + g.s(LOWER + DIGITS, 43)))
    c.put("apps/legacy/NuGet.Config", "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>', "<configuration>", "  <packageSources>",
        '    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />',
        '    <add key="acme" value="https://pkgs.acme-corp.io/nuget/v3/index.json" />', "  </packageSources>",
        "  <packageSourceCredentials>", "    <acme>", '      <add key="Username" value="build" />',
        f'      <add key="ClearTextPassword" value="{S("nuget", "feed-password", g.password())}" />',
        "    </acme>", "  </packageSourceCredentials>", "  <apikeys>",
        f'    <add key="https://www.nuget.org" value="{S("nuget", "api-key", "oy2" + g.s(LOWER + DIGITS, 43))}" />',
        "  </apikeys>", "</configuration>", ""]))

    # ---------------------------------------------------------------- dockerhub
    kv("env", "docker hub token", S("dockerhub", "personal-access-token", "dckr_pat_" + g.s(B64URL, 27)))
    raw("sh", "echo @@ | docker login -u acmeci --password-stdin", S("dockerhub", "personal-access-token", "dckr_pat_" + g.s(B64URL, 27)))
    raw("gha", "      - run: docker login -u acmeci -p @@", S("dockerhub", "personal-access-token", "dckr_pat_" + g.s(B64URL, 27)),
        section="steps")
    kv("yaml", "dockerhub token", S("dockerhub", "personal-access-token", "dckr_pat_" + g.s(B64URL, 27)))
    kv("json", "docker org token", S("dockerhub", "org-access-token", "dckr_oat_" + g.s(B64URL, 32)))
    auth1 = b64(("acmeci:" + "dckr_pat_" + g.s(B64URL, 27)).encode())
    auth2 = b64(("release-bot:" + g.password()).encode())
    c.put("ci/docker/config.json", json.dumps({"auths": {
        "https://index.docker.io/v1/": {"auth": "@A1@"},
        "registry.acme-corp.io": {"auth": "@A2@"}}, "credsStore": ""}, indent=2)
        .replace("@A1@", S("dockerhub", "registry-auth", auth1))
        .replace("@A2@", S("dockerhub", "registry-auth", auth2)) + "\n")
    kv("k8s-secret", "docker password", S("dockerhub", "personal-access-token", "dckr_pat_" + g.s(B64URL, 27)))

    # ---------------------------------------------------------------- heroku
    kv("env", "heroku api key", S("heroku", "api-key", t.heroku_v2()))
    kv("gha", "heroku api key", S("heroku", "api-key-legacy", g.uuid4()))
    raw("sh", 'curl -n https://api.heroku.com/apps -H "Accept: application/vnd.heroku+json; version=3" -H "Authorization: Bearer @@"',
        S("heroku", "api-key", t.heroku_v2()))
    raw("tf", '\n'.join(['provider "heroku" {', '  email   = "ops@acme-corp.io"', '  api_key = "@@"', "}"]),
        S("heroku", "api-key-legacy", g.uuid4()), section="top")
    c.put("ci/netrc", "\n".join(["machine api.heroku.com", "  login ops@acme-corp.io",
                                 f"  password {S('heroku', 'api-key-legacy', g.uuid4())}",
                                 "machine git.heroku.com", "  login ops@acme-corp.io",
                                 f"  password {S('heroku', 'api-key', t.heroku_v2())}", ""]))
    kv("yaml", "heroku api key", S("heroku", "api-key", t.heroku_v2()))
    kv("json", "heroku api key", S("heroku", "api-key-legacy", g.uuid4()))

    # ---------------------------------------------------------------- digitalocean
    kv("env", "digitalocean access token", S("digitalocean", "personal-access-token", "dop_v1_" + g.hex(64)))
    raw("tf", '\n'.join(['provider "digitalocean" {', '  token = "@@"', "}"]),
        S("digitalocean", "personal-access-token", "dop_v1_" + g.hex(64)), section="top")
    raw("sh", "doctl auth init --access-token @@", S("digitalocean", "personal-access-token", "dop_v1_" + g.hex(64)))
    kv("yaml", "do token", S("digitalocean", "personal-access-token", "dop_v1_" + g.hex(64)))
    kv("json", "digitalocean oauth token", S("digitalocean", "oauth-token", "doo_v1_" + g.hex(64)))
    kv("k8s-secret", "digitalocean token", S("digitalocean", "oauth-token", "doo_v1_" + g.hex(64)))
    kv("ini", "digitalocean refresh token", S("digitalocean", "refresh-token", "dor_v1_" + g.hex(64)))
    kv("env", "spaces secret key", S("digitalocean", "spaces-secret-key", g.s(B64, 43)))

    # ---------------------------------------------------------------- datadog
    kv("env", "dd api key", S("datadog", "api-key", g.hex(32)))
    kv("compose", "dd api key", S("datadog", "api-key", g.hex(32)))
    kv("k8s-deploy", "dd api key", S("datadog", "api-key", g.hex(32)))
    raw("tf", '\n'.join(['provider "datadog" {', '  api_key = "@@"', '  app_key = "'
                         + S("datadog", "application-key", g.hex(40)) + '"', '  api_url = "https://api.datadoghq.eu/"', "}"]),
        S("datadog", "api-key", g.hex(32)), section="top")
    c.put("deploy/datadog/datadog.yaml", "\n".join([
        f"api_key: {S('datadog', 'api-key', g.hex(32))}", "site: datadoghq.eu", "logs_enabled: true",
        "apm_config:", "  enabled: true", ""]))
    raw("py", '    initialize(api_key="@@", app_key="' + S("datadog", "application-key", g.hex(40)) + '")',
        S("datadog", "api-key", g.hex(32)), section="func")
    kv("env", "datadog app key", S("datadog", "application-key", g.hex(40)))
    kv("js", "datadog client token", c.D("datadog", "rum-client-token", "pub" + g.hex(32)), section="obj")

    # ---------------------------------------------------------------- newrelic
    kv("env", "new relic api key", S("newrelic", "user-api-key", "NRAK-" + g.s(UPPER + DIGITS, 27)))
    raw("sh", "curl -X POST https://api.newrelic.com/graphql -H 'API-Key: @@' -d @query.json",
        S("newrelic", "user-api-key", "NRAK-" + g.s(UPPER + DIGITS, 27)))
    kv("tfvars", "newrelic api key", S("newrelic", "user-api-key", "NRAK-" + g.s(UPPER + DIGITS, 27)))
    c.put("services/api/newrelic.yml", "\n".join([
        "common: &default_settings", f"  license_key: '{S('newrelic', 'license-key', g.hex(36) + 'NRAL')}'",
        "  app_name: acme-api", "  distributed_tracing:", "    enabled: true", "production:", "  <<: *default_settings", ""]))
    kv("env", "new relic license key", S("newrelic", "license-key", g.hex(36) + "NRAL"))
    c.put("services/worker/newrelic.ini", "\n".join([
        "[newrelic]", f"license_key = {S('newrelic', 'license-key', g.hex(40))}", "app_name = acme-worker",
        "monitor_mode = true", ""]))
    kv("k8s-secret", "new relic insert key", S("newrelic", "insert-key", "NRII-" + g.s(B64URL, 32)))
    kv("json", "newrelic query key", S("newrelic", "query-key", "NRIQ-" + g.s(B64URL, 32)))

    # ---------------------------------------------------------------- sentry
    def sntrys():
        payload = {"iat": r.randint(1690000000, 1730000000), "url": "https://sentry.io",
                   "region_url": "https://us.sentry.io", "org": "acme-corp"}
        return g.clean(lambda: "sntrys_" + b64(json.dumps(payload, separators=(",", ":")).encode()) + "_" + g.s(B64, 43))
    kv("env", "sentry auth token", S("sentry", "org-auth-token", sntrys()))
    kv("gha", "sentry auth token", S("sentry", "org-auth-token", sntrys()))
    raw("sh", "sentry-cli --auth-token @@ releases new \"$VERSION\"", S("sentry", "org-auth-token", sntrys()))
    kv("yaml", "sentry token", S("sentry", "user-auth-token", "sntryu_" + g.hex(64)))
    kv("json", "sentry auth token", S("sentry", "user-auth-token", "sntryu_" + g.hex(64)))
    raw("http", "### sentry issues\nGET https://sentry.io/api/0/projects/acme-corp/api/issues/\nAuthorization: Bearer @@\n",
        S("sentry", "user-auth-token", "sntryu_" + g.hex(64)))
    c.put(".sentryclirc", "\n".join(["[defaults]", "org = acme-corp", "project = api", "",
                                     "[auth]", f"token = {S('sentry', 'auth-token-legacy', g.hex(64))}", ""]))
    kv("k8s-secret", "sentry auth token", S("sentry", "auth-token-legacy", g.hex(64)))

    # ---------------------------------------------------------------- okta
    kv("env", "okta api token", S("okta", "api-token", "00" + g.s(B64URL, 40)))
    raw("sh", 'curl -H "Authorization: SSWS @@" https://acme-corp.okta.com/api/v1/users?limit=25',
        S("okta", "api-token", "00" + g.s(B64URL, 40)))
    raw("tf", '\n'.join(['provider "okta" {', '  org_name  = "acme-corp"', '  base_url  = "okta.com"',
                         '  api_token = "@@"', "}"]), S("okta", "api-token", "00" + g.s(B64URL, 40)), section="top")
    c.put("tools/okta.yaml", "\n".join(["okta:", "  client:", "    orgUrl: https://acme-corp.okta.com",
                                        f"    token: {S('okta', 'api-token', '00' + g.s(B64URL, 40))}", ""]))
    raw("py", '    session.headers["Authorization"] = "SSWS @@"', S("okta", "api-token", "00" + g.s(B64URL, 40)), section="func")
    kv("json", "okta api token", S("okta", "api-token", "00" + g.s(B64URL, 40)))
    kv("k8s-secret", "okta token", S("okta", "api-token", "00" + g.s(B64URL, 40)))
    kv("gha", "okta api token", S("okta", "api-token", "00" + g.s(B64URL, 40)))

    # ---------------------------------------------------------------- linear
    kv("env", "linear api key", S("linear", "api-key", "lin_api_" + g.s(ALNUM, 40)))
    raw("ts", "const linear = new LinearClient({ apiKey: '@@' });", S("linear", "api-key", "lin_api_" + g.s(ALNUM, 40)),
        section="main")
    raw("sh", "curl -X POST https://api.linear.app/graphql -H 'Authorization: @@' -d @issues.json",
        S("linear", "api-key", "lin_api_" + g.s(ALNUM, 40)))
    kv("yaml", "linear api key", S("linear", "api-key", "lin_api_" + g.s(ALNUM, 40)))
    kv("json", "linear token", S("linear", "api-key", "lin_api_" + g.s(ALNUM, 40)))
    kv("gha", "linear api key", S("linear", "api-key", "lin_api_" + g.s(ALNUM, 40)))
    kv("k8s-secret", "linear oauth token", S("linear", "oauth-token", "lin_oauth_" + g.hex(64)))
    kv("env", "linear oauth token", S("linear", "oauth-token", "lin_oauth_" + g.hex(64)))

    # ---------------------------------------------------------------- notion
    kv("env", "notion token", S("notion", "integration-token", "ntn_" + g.digits(11) + g.s(ALNUM, 35)))
    raw("py", '    notion = NotionClient(auth="@@")', S("notion", "integration-token", "ntn_" + g.digits(11) + g.s(ALNUM, 35)),
        section="func")
    raw("sh", "curl https://api.notion.com/v1/users -H 'Authorization: Bearer @@' -H 'Notion-Version: 2022-06-28'",
        S("notion", "integration-token", "ntn_" + g.digits(11) + g.s(ALNUM, 35)))
    kv("json", "notion api key", S("notion", "integration-token", "ntn_" + g.digits(11) + g.s(ALNUM, 35)))
    kv("env", "notion api key", S("notion", "integration-token-legacy", "secret_" + g.s(ALNUM, 43)))
    kv("yaml", "notion token", S("notion", "integration-token-legacy", "secret_" + g.s(ALNUM, 43)))
    kv("js", "notion secret", S("notion", "integration-token-legacy", "secret_" + g.s(ALNUM, 43)), section="obj")
    kv("k8s-secret", "notion token", S("notion", "integration-token-legacy", "secret_" + g.s(ALNUM, 43)))

    # ---------------------------------------------------------------- postman
    def pmak():
        return "PMAK-" + g.hex(24) + "-" + g.hex(34)
    kv("env", "postman api key", S("postman", "api-key", pmak()))
    raw("sh", "curl https://api.getpostman.com/collections -H 'X-Api-Key: @@'", S("postman", "api-key", pmak()))
    tok = pmak()
    raw("gha", "      - run: newman run \"@@\" --environment env.json", S("postman", "api-key", tok,
        text=f"https://api.getpostman.com/collections/{g.digits(8)}-{g.uuid4()}?apikey={tok}"), section="steps")
    kv("json", "postman api key", S("postman", "api-key", pmak()))
    kv("yaml", "postman api key", S("postman", "api-key", pmak()))
    raw("http", "### postman workspaces\nGET https://api.getpostman.com/workspaces\nX-Api-Key: @@\n", S("postman", "api-key", pmak()))
    kv("k8s-secret", "postman api key", S("postman", "api-key", pmak()))
    kv("env", "postman api key", S("postman", "api-key", pmak()))

    # ---------------------------------------------------------------- databricks
    c.put("tools/.databrickscfg", "\n".join(["[DEFAULT]", "host = https://adb-4417380291544212.12.azuredatabricks.net",
                                             f"token = {S('databricks', 'personal-access-token', 'dapi' + g.hex(32))}", "",
                                             "[staging]", "host = https://acme-staging.cloud.databricks.com",
                                             f"token = {S('databricks', 'personal-access-token', 'dapi' + g.hex(32) + '-2')}", ""]))
    kv("env", "databricks token", S("databricks", "personal-access-token", "dapi" + g.hex(32)))
    tok = "dapi" + g.hex(32)
    kv("props", "spark datasource url", S("databricks", "personal-access-token", tok, text=(
        "jdbc:databricks://adb-4417380291544212.12.azuredatabricks.net:443/default;transportMode=http;ssl=1;"
        f"httpPath=sql/protocolv1/o/4417380291544212/0412-101010-abcd123;AuthMech=3;UID=token;PWD={tok}")))
    raw("tf", '\n'.join(['provider "databricks" {', '  host  = "https://acme-corp.cloud.databricks.com"',
                         '  token = "@@"', "}"]), S("databricks", "personal-access-token", "dapi" + g.hex(32)), section="top")
    raw("py", '    conn = sql.connect(server_hostname=HOST, http_path=HTTP_PATH, access_token="@@")',
        S("databricks", "personal-access-token", "dapi" + g.hex(32)), section="func")
    kv("gha", "databricks token", S("databricks", "personal-access-token", "dapi" + g.hex(32)))
    kv("k8s-secret", "databricks client secret", S("databricks", "oauth-secret", "dose" + g.hex(32)))

    # ---------------------------------------------------------------- terraform
    c.put("infra/.terraformrc", "\n".join(['credentials "app.terraform.io" {', f'  token = "{S("terraform", "api-token", t.tfc())}"',
                                           "}", "", 'plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"', ""]))
    c.put("infra/credentials.tfrc.json", json.dumps({"credentials": {"app.terraform.io": {"token": "@T@"}}}, indent=2)
          .replace("@T@", S("terraform", "api-token", t.tfc())) + "\n")
    raw("env", "TF_TOKEN_app_terraform_io=@@", S("terraform", "api-token", t.tfc()))
    kv("yaml", "terraform cloud token", S("terraform", "api-token", t.tfc()))
    kv("gha", "tfe token", S("terraform", "api-token", t.tfc()))
    raw("tf", '\n'.join(['provider "tfe" {', '  hostname = "app.terraform.io"', '  token    = "@@"', "}"]),
        S("terraform", "api-token", t.tfc()), section="top")
    raw("sh", 'curl -H "Authorization: Bearer @@" https://app.terraform.io/api/v2/organizations/acme-corp/workspaces',
        S("terraform", "api-token", t.tfc()))
    kv("k8s-secret", "tfc agent token", S("terraform", "agent-token", t.tfc()))

    # ---------------------------------------------------------------- vault
    kv("env", "vault token", S("vault", "service-token", t.vault("hvs")))
    raw("sh", "vault login @@", S("vault", "service-token", t.vault("hvs")))
    raw("sh", 'curl -H "X-Vault-Token: @@" https://vault.acme-corp.io/v1/secret/data/api',
        S("vault", "service-token", t.vault("hvs-long")))
    kv("yaml", "vault token", S("vault", "service-token", t.vault("hvs-long")))
    kv("json", "vault token", S("vault", "batch-token", t.vault("hvb")))
    kv("env", "vault token", S("vault", "service-token-legacy", t.vault("legacy")))
    raw("tf", '\n'.join(['provider "vault" {', '  address = "https://vault.acme-corp.io"', '  token   = "@@"', "}"]),
        S("vault", "service-token", t.vault("hvs")), section="top")
    kv("k8s-secret", "vault token", S("vault", "service-token-legacy", t.vault("legacy")))

    # ---------------------------------------------------------------- doppler
    kv("env", "doppler token", S("doppler", "service-token", t.doppler("st")))
    kv("env", "doppler token", S("doppler", "service-token", t.doppler("st.prd")))
    raw("sh", "doppler run --token @@ -- ./bin/server", S("doppler", "personal-token", t.doppler("pt")))
    kv("gha", "doppler token", S("doppler", "service-account-token", t.doppler("sa")))
    kv("compose", "doppler token", S("doppler", "service-token", t.doppler("st")))
    kv("k8s-secret", "doppler token", S("doppler", "service-account-token", t.doppler("sa")))
    raw("tf", '\n'.join(['provider "doppler" {', '  doppler_token = "@@"', "}"]), S("doppler", "personal-token", t.doppler("pt")),
        section="top")
    kv("yaml", "doppler cli token", S("doppler", "cli-token", t.doppler("ct")))
    kv("json", "doppler scim token", S("doppler", "scim-token", t.doppler("scim")))
    kv("toml", "doppler audit token", S("doppler", "audit-token", t.doppler("audit")))

    # ---------------------------------------------------------------- onepassword
    kv("env", "op service account token", S("onepassword", "service-account-token", t.op_service_account()))
    kv("gha", "op service account token", S("onepassword", "service-account-token", t.op_service_account()))
    kv("k8s-secret", "op service account token", S("onepassword", "service-account-token", t.op_service_account()))
    raw("tf", '\n'.join(['provider "onepassword" {', '  service_account_token = "@@"', "}"]),
        S("onepassword", "service-account-token", t.op_service_account()), section="top")
    kv("json", "onepassword secret key", S("onepassword", "secret-key", t.op_secret_key()))
    kv("yaml", "op secret key", S("onepassword", "secret-key", t.op_secret_key()))
    kv("ini", "onepassword secret key", S("onepassword", "secret-key", t.op_secret_key()))
    def op_connect():
        return t.jwt("ES256", kid=g.s(LOWER + DIGITS, 26), claims={
            "1password.com/auuid": g.s(UPPER + DIGITS, 26), "1password.com/token": g.s(B64URL, 32),
            "1password.com/fts": ["vaultaccess"], "1password.com/vts": [{"u": g.s(LOWER + DIGITS, 26), "a": 49152}],
            "aud": ["com.1password.connect"], "sub": g.s(UPPER + DIGITS, 26),
            "iat": r.randint(1690000000, 1730000000), "iss": "com.1password.b5"})
    kv("env", "op connect token", S("onepassword", "connect-token", op_connect()))
    raw("tf", '\n'.join(['provider "onepassword" {', '  url   = "https://op-connect.internal.acme-corp.io"',
                         '  token = "@@"', "}"]), S("onepassword", "connect-token", op_connect()), section="top")

    # ---------------------------------------------------------------- jwt
    raw("http", "### orders\nGET {{host}}/v1/orders?limit=20\nAuthorization: Bearer @@\n", S("jwt", "bearer-token", t.jwt()))
    raw("sh", 'curl -sS https://api.acme-corp.io/v1/me -H "Authorization: Bearer @@"', S("jwt", "bearer-token", t.jwt("RS256", kid=g.hex(40))))
    raw("py", '    session.headers["Authorization"] = "Bearer @@"', S("jwt", "bearer-token", t.jwt("HS512")), section="func")
    kv("json", "access token", S("jwt", "access-token", t.jwt("RS256", typ_first=True)))
    kv("env", "supabase service role key", S("jwt", "service-role-key", t.jwt(claims={
        "iss": "supabase", "ref": g.s(LOWER, 20), "role": "service_role", "iat": r.randint(1690000000, 1730000000),
        "exp": r.randint(2000000000, 2100000000)})))
    kv("yaml", "internal api token", S("jwt", "service-token", t.jwt("ES256")))
    raw("js", "const headers = { Authorization: 'Bearer @@' };", S("jwt", "bearer-token", t.jwt()), section="main")
    raw("go", '\treq.Header.Set("Authorization", "Bearer @@")', S("jwt", "bearer-token", t.jwt("RS256")), section="func")
    raw("http", "### session\nGET {{host}}/v1/cart\nCookie: session=@@\n", S("jwt", "session-cookie", t.jwt()))
    sa_claims = {"iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "ci",
                 "kubernetes.io/serviceaccount/secret.name": "deployer-token-" + g.s(LOWER + DIGITS, 5),
                 "kubernetes.io/serviceaccount/service-account.name": "deployer",
                 "kubernetes.io/serviceaccount/service-account.uid": g.uuid4(),
                 "sub": "system:serviceaccount:ci:deployer"}
    c.put("deploy/kubeconfig-ci.yaml", "\n".join([
        "apiVersion: v1", "kind: Config", "clusters:", "  - name: prod",
        "    cluster:", "      server: https://k8s.acme-corp.io:6443",
        "      certificate-authority-data: " + c.D("private-key", "base64-ca-certificate",
                                                   b64(pem_wrap("CERTIFICATE", der_certificate(g)).encode())),
        "users:", "  - name: deployer", "    user:",
        "      token: " + S("jwt", "kubernetes-sa-token", t.jwt("RS256", claims=sa_claims, kid=g.s(B64URL, 43))),
        "contexts:", "  - name: prod", "    context:", "      cluster: prod", "      user: deployer",
        "current-context: prod", ""]))

    # ---------------------------------------------------------------- private keys
    c.put("keys/deploy_rsa.pem", S("private-key", "rsa-pem", pem_wrap("RSA PRIVATE KEY", der_rsa_private(g))) + "\n")
    c.put("keys/id_ed25519", S("private-key", "openssh", openssh_private(g, "ed25519", comment="dev@acme-laptop")) + "\n")
    c.put("deploy/ssh/deploy_key", S("private-key", "openssh", openssh_private(g, "rsa", comment="deploy@acme-ci")) + "\n")
    c.put("ci/ssh/id_ed25519_ci", S("private-key", "openssh", fakes.openssh(False, r)) + "\n")
    c.put("keys/legacy_backup_key", S("private-key", "openssh-encrypted",
                                      openssh_private(g, "ed25519", encrypted=True, comment="backup@acme")) + "\n")
    c.put("keys/tls/server.key", S("private-key", "pkcs8-pem", pem_wrap("PRIVATE KEY", der_pkcs8_private(g))) + "\n")
    c.put("keys/signing-ec.pem", "\n".join(["-----BEGIN EC PARAMETERS-----", "BggqhkjOPQMBBw==", "-----END EC PARAMETERS-----",
                                            S("private-key", "ec-pem", pem_wrap("EC PRIVATE KEY", der_ec_private(g)))]) + "\n")
    c.put("keys/archive.key", S("private-key", "encrypted-pkcs8-pem", pem_wrap("ENCRYPTED PRIVATE KEY", der_encrypted_pkcs8(g))) + "\n")
    c.put("keys/legacy_dsa.pem", S("private-key", "dsa-pem", pem_wrap("DSA PRIVATE KEY", der_dsa_private(g))) + "\n")
    c.put("keys/release-signing.asc", S("private-key", "pgp-private-key", pgp_block("PRIVATE KEY", g, 900)) + "\n")
    pem = pem_wrap("RSA PRIVATE KEY", der_rsa_private(g))
    c.put("deploy/k8s/tls-secret.yaml", "\n".join([
        "apiVersion: v1", "kind: Secret", "metadata:", "  name: ingress-tls", "  namespace: prod",
        "type: kubernetes.io/tls", "stringData:",
        "  tls.crt: |", "    " + c.D("private-key", "certificate", indent_block(pem_wrap("CERTIFICATE", der_certificate(g)), "    ")),
        "  tls.key: |", "    " + S("private-key", "rsa-pem-yaml", indent_block(pem, "    ")), ""]))
    pem = pem_wrap("PRIVATE KEY", der_pkcs8_private(g))
    raw("tf", "\n".join(['resource "tls_locally_signed_cert" "internal" {', '  ca_key_algorithm   = "RSA"',
                         "  ca_private_key_pem = <<-EOT", "    @@", "  EOT", '  ca_cert_pem        = file("ca.crt")', "}"]),
        S("private-key", "pkcs8-pem-heredoc", indent_block(pem, "    ")), section="top")
    pem = pem_wrap("RSA PRIVATE KEY", der_rsa_private(g))
    raw("py", 'GITHUB_APP_PRIVATE_KEY = """@@\n"""', S("private-key", "rsa-pem-python", pem), section="main")
    pem = pem_wrap("RSA PRIVATE KEY", der_rsa_private(g)).replace("\n", "\\n") + "\\n"
    kv("env", "github app private key", S("private-key", "rsa-pem-escaped", pem, text='"' + pem + '"'))
    pem = pem_wrap("EC PRIVATE KEY", der_ec_private(g)).replace("\n", "\\n")
    kv("json", "apple push private key", S("private-key", "ec-pem-escaped", pem))

    # ---------------------------------------------------------------- database URLs
    def host(kind):
        return {
            "pg": f"pg-prod-1.c{g.s(LOWER + DIGITS, 10)}.eu-west-1.rds.amazonaws.com:5432",
            "mysql": f"mysql-primary.internal.acme-corp.io:3306",
            "mongo": f"cluster0.{g.s(LOWER + DIGITS, 5)}.mongodb.net",
            "redis": f"redis-prod.{g.s(LOWER + DIGITS, 6)}.ng.0001.euw1.cache.amazonaws.com:6379",
            "amqp": "rabbitmq.internal.acme-corp.io:5672",
        }[kind]

    def pw(n=None):
        return g.s(ALNUM, n or r.randint(16, 28))

    urls = [
        ("env", "database url", f"postgres://app_rw:{pw()}@{host('pg')}/orders?sslmode=require"),
        ("py", "sqlalchemy database uri", f"postgresql+psycopg2://reporting:{pw()}@{host('pg')}/analytics"),
        ("compose", "database url", f"postgresql://billing:{pw()}@db:5432/billing"),
        ("k8s-secret", "mysql url", f"mysql://root:{pw()}@{host('mysql')}/shop"),
        ("yaml", "mongodb uri", f"mongodb+srv://api-user:{pw()}@{host('mongo')}/prod?retryWrites=true&w=majority"),
        ("json", "mongo url", "mongodb://admin:" + pw() + "@mongo-0.acme-corp.internal:27017,mongo-1.acme-corp.internal:27017/app?replicaSet=rs0&authSource=admin"),
        ("env", "redis url", f"redis://:{pw()}@{host('redis')}/0"),
        ("props", "spring redis url", f"rediss://default:{pw()}@{host('redis')}"),
        ("env", "celery broker url", f"amqp://worker:{pw()}@{host('amqp')}/jobs"),
        ("tfvars", "rabbitmq url", f"amqps://events:{pw()}@b-{g.uuid4()}.mq.eu-west-1.amazonaws.com:5671"),
        ("go", "dsn", f"postgres://ledger:{pw()}@ledger-db.internal.acme-corp.io:5432/ledger?sslmode=verify-full"),
        ("ini", "sqlalchemy url", f"mysql+pymysql://etl:{pw()}@{host('mysql')}/warehouse"),
        ("gha", "database url", f"postgres://ci:{pw()}@{host('pg')}/ci_runs"),
    ]
    for pool, words, url in urls:
        kind = url.split("://")[0].split("+")[0]
        kv(pool, words, S("database", kind + "-url", url))
    url = f"mongodb+srv://orders:{pw()}@{host('mongo')}/orders"
    raw("js", "mongoose.connect('@@');", S("database", "mongodb-url", url), section="main")
    props_pw = pw()
    raw("props", "spring.datasource.url=jdbc:postgresql://billing-db.internal.acme-corp.io:5432/billing?user=billing&password=@@",
        S("database", "jdbc-url-password", props_pw))

    # ---------------------------------------------------------------- https basic-auth URLs
    def burl(user, hostpath, n=None):
        p = g.s(ALNUM + "-_", n or r.randint(16, 30))
        return f"https://{user}:{p}@{hostpath}"
    c.put("services/api/pip.conf", "[global]\nindex-url = " + S("url", "basic-auth-url", burl("deploy", "pypi.acme-corp.io/simple/")) + "\n")
    c.put("services/api/requirements.txt", "\n".join([
        "--extra-index-url " + S("url", "basic-auth-url", burl("ci-reader", "packages.acme-corp.io/pypi/simple")),
        "django==5.0.6", "gunicorn==22.0.0", "requests==2.32.3", "boto3==1.34.131", "celery[redis]==5.4.0", ""]))
    c.put("ci/git-credentials", S("url", "basic-auth-url", burl("acme-ci", "git.acme-corp.io")) + "\n"
          + S("url", "basic-auth-url", burl("release-bot", "code.acme-corp.io")) + "\n")
    raw("sh", "curl -s @@/_cat/indices?v", S("url", "basic-auth-url", burl("elastic", "search.internal.acme-corp.io:9200")))
    kv("env", "artifactory url", S("url", "basic-auth-url", burl("ci", "acme.jfrog.io/artifactory/api/npm/npm-virtual/")))
    kv("yaml", "metrics endpoint", S("url", "basic-auth-url", burl("prom", "metrics.acme-corp.io/api/v1/write")))
    raw("docker", "RUN pip install --no-cache-dir --index-url @@ acme-internal==3.2.0",
        S("url", "basic-auth-url", burl("build", "pypi.acme-corp.io/simple")))
    raw("go", '\tresp, _ := http.Get("@@")\n\t_ = resp', S("url", "basic-auth-url", burl("svc-gateway", "status.acme-corp.io/v1/health")),
        section="func")
    kv("json", "webhook url", S("url", "basic-auth-url", burl("hooks", "ci.acme-corp.io/generic-webhook-trigger/invoke")))
    c.put("settings.gradle", "\n".join([
        "pluginManagement {", "  repositories {", "    maven {",
        f"      url '{S('url', 'basic-auth-url', burl('gradle', 'maven.acme-corp.io/releases'))}'",
        "    }", "    gradlePluginPortal()", "  }", "}", "rootProject.name = 'billing'", "include 'core', 'api'", ""]))

    # ---------------------------------------------------------------- generic
    kv("env", "db password", S("generic", "password", g.password()))
    kv("py", "secret key", S("generic", "django-secret-key", g.password(50, punct="!@%^*-_+=~()")))
    kv("yaml", "client secret", S("generic", "client-secret", g.s(ALNUM, 40)))
    kv("json", "api key", S("generic", "api-key", g.s(ALNUM, 32)))
    kv("props", "spring datasource password", S("generic", "password", g.password()))
    c.put("ci/maven/settings.xml", "\n".join([
        '<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">', "  <servers>", "    <server>",
        "      <id>acme-releases</id>", "      <username>deployer</username>",
        f"      <password>{S('generic', 'password', g.password())}</password>", "    </server>", "  </servers>",
        "</settings>", ""]))
    kv("ini", "auth token", S("generic", "token", g.s(ALNUM, 36)))
    raw("sh", "mysqldump -h db.internal.acme-corp.io -u backup --password='@@' --all-databases > /backup/all.sql",
        S("generic", "password", g.password(punct="!@%^*-_+=~")))
    kv("tf", "administrator login password", S("generic", "password", g.password()))
    kv("compose", "smtp password", S("generic", "password", g.password()))
    kv("js", "session secret", S("generic", "secret", g.s(ALNUM, 48)), section="obj")
    raw("go", '\tjwtSecret := []byte("@@")\n\t_ = jwtSecret', S("generic", "secret", g.s(ALNUM, 40)), section="func")
    raw("java", '    private static final String API_SECRET = "@@";', S("generic", "api-secret", g.s(ALNUM, 40)), section="fields")
    kv("yaml", "secret key base", S("generic", "secret", g.hex(128)))
    kv("env", "encryption key", S("generic", "encryption-key", b64(g.bytes(32))))
    kv("xml", "api key", S("generic", "api-key", g.s(ALNUM, 32)))
    kv("k8s-deploy", "admin password", S("generic", "password", g.password()))


# --------------------------------------------------------------------------------------
# Decoys: values that look like secrets but are not
# --------------------------------------------------------------------------------------

def plant_decoys(c, t):
    g, r = c.g, c.r
    D, kv, raw = c.D, c.kv, c.raw

    def sha(algo):
        return hashlib.new(algo, g.bytes(64)).hexdigest()

    # ---- digests --------------------------------------------------------------------
    c.put("dist/SHA256SUMS", "".join(f"{D('generic', 'sha256-digest', sha('sha256'))}  {n}\n"
                                     for n in ["acme-cli_2.8.1_linux_amd64.tar.gz", "acme-cli_2.8.1_linux_arm64.tar.gz",
                                               "acme-cli_2.8.1_darwin_arm64.tar.gz", "acme-cli_2.8.1_windows_amd64.zip"]))
    c.put("dist/MD5SUMS", "".join(f"{D('generic', 'md5-digest', sha('md5'))}  {n}\n"
                                  for n in ["acme-cli_2.8.1_linux_amd64.tar.gz", "acme-cli_2.8.1_darwin_arm64.tar.gz"]))
    raw("docker", "ARG TINI_SHA256=@@", D("generic", "sha256-digest", sha("sha256")))
    raw("docker", 'RUN echo "@@  /tmp/kubectl" | sha256sum -c -', D("generic", "sha256-digest", sha("sha256")))
    kv("json", "checksum", D("generic", "sha1-digest", sha("sha1")))
    kv("json", "etag", D("generic", "md5-digest", sha("md5")))
    kv("yaml", "sha256", D("generic", "sha256-digest", sha("sha256")))
    kv("ini", "md5", D("generic", "md5-digest", sha("md5")))
    raw("tf", '\n'.join(['resource "aws_lambda_function" "thumbnailer" {', '  function_name    = "thumbnailer"',
                         '  filename         = "build/thumbnailer.zip"', '  source_code_hash = "@@"',
                         '  handler          = "main.handler"', '  runtime          = "python3.12"', "}"]),
        D("generic", "base64-sha256", b64(hashlib.sha256(g.bytes(32)).digest())), section="top")
    raw("docker", "FROM python:3.12-slim@sha256:@@ AS runtime", D("generic", "image-digest", sha("sha256")))

    # ---- git commit ids ----------------------------------------------------------------
    for f in c.pools["gha"].files:
        f.add("      - uses: actions/checkout@" + D("generic", "git-commit", sha("sha1")) + " # v4.1.7", "checkout")
        f.add("      - uses: actions/setup-node@" + D("generic", "git-commit", sha("sha1")) + " # v4.0.3", "checkout")
    kv("env", "git commit", D("generic", "git-commit", sha("sha1")))
    kv("json", "revision", D("generic", "git-commit", sha("sha1")))
    raw("sh", 'git checkout @@', D("generic", "git-commit", sha("sha1")))
    # go.mod pseudo-version
    pseudo = f"v0.0.0-20240611093512-{sha('sha1')[:12]}"
    c.put("services/gateway/go.mod", "\n".join([
        "module github.com/acme-corp/gateway", "", "go 1.22", "", "require (",
        "\tgithub.com/go-chi/chi/v5 v5.0.12", "\tgithub.com/prometheus/client_golang v1.19.1",
        f"\tgithub.com/acme-corp/shared {D('generic', 'go-pseudo-version', pseudo)}", "\tgolang.org/x/sync v0.7.0", ")", ""]))

    # ---- uuids / identifiers ---------------------------------------------------------------
    kv("json", "request id", D("generic", "uuid", g.uuid4()))
    kv("tfvars", "subscription id", D("azure", "subscription-id", g.uuid4()))
    kv("py", "correlation id", D("generic", "uuid", g.uuid4()))
    kv("yaml", "tenant id", D("azure", "tenant-id", g.uuid4()))
    kv("k8s-secret", "client id", D("generic", "uuid", g.uuid4()))
    kv("env", "trace id", D("generic", "trace-id", g.hex(32)))
    kv("tfvars", "vpc id", D("aws", "resource-id", "vpc-0" + g.hex(16)))
    kv("tfvars", "ami id", D("aws", "resource-id", "ami-0" + g.hex(16)))
    kv("tfvars", "deploy role arn", D("aws", "role-arn", f"arn:aws:iam::{g.digits(12)}:role/deploy"))
    kv("json", "stripe customer id", D("stripe", "object-id", "cus_" + g.s(ALNUM, 14)))
    kv("json", "stripe price id", D("stripe", "object-id", "price_1" + g.s(ALNUM, 23)))
    kv("py", "stripe product", D("stripe", "object-id", "prod_" + g.s(ALNUM, 14)))
    kv("env", "openai organization", D("openai", "organization-id", "org-" + g.s(ALNUM, 24)))
    kv("yaml", "slack channel id", D("slack", "channel-id", "C0" + g.s(UPPER + DIGITS, 9)))
    kv("json", "node id", D("github", "graphql-node-id", "MDQ6VXNlcj" + g.s(ALNUM, 6) + "="))
    kv("env", "gcp project number", D("gcp", "project-number", g.digits(12)))
    kv("env", "okta client id", D("okta", "client-id", "0oa" + g.s(ALNUM, 17)))
    kv("env", "google client id", D("gcp", "oauth-client-id", g.digits(12) + "-" + g.s(LOWER + DIGITS, 32)
                                    + ".apps.googleusercontent.com"))
    kv("env", "discord application id", D("discord", "application-id", g.digits(19)))
    kv("json", "telegram chat id", D("telegram", "chat-id", "-100" + g.digits(10)))

    # ---- base64 blobs -------------------------------------------------------------------
    png = b64(png_bytes(g))
    c.put("apps/web/src/styles/icons.css", "\n".join([
        ".icon-check {", f"  background-image: url(\"data:image/png;base64,{D('generic', 'base64-image', png)}\");",
        "  width: 12px;", "  height: 12px;", "}", ""]))
    png2 = b64(png_bytes(g, 16, 16))
    raw("js", "const PLACEHOLDER_AVATAR = 'data:image/png;base64,@@';", D("generic", "base64-image", png2), section="main")
    kv("json", "thumbnail", D("generic", "base64-image", b64(png_bytes(g, 8, 8))))
    gz = b64(gzip.compress(("\n".join(f"row,{i},{g.hex(8)}" for i in range(60))).encode(), mtime=0))
    c.put("deploy/k8s/seed-configmap.yaml", "\n".join([
        "apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: seed-data", "binaryData:",
        f"  seed.csv.gz: {D('generic', 'base64-gzip', gz)}", "data:", "  SEED_VERSION: \"14\"", ""]))
    raw("py", "FONT_WOFF2 = \"@@\"", D("generic", "base64-binary", b64(b"wOF2\x00\x01\x00\x00" + g.bytes(300))), section="main")
    raw("go", '\tfavicon := "@@"\n\t_ = favicon', D("generic", "base64-binary", b64(b"\x00\x00\x01\x00\x01\x00" + g.bytes(200))),
        section="func")

    # ---- lock files ---------------------------------------------------------------------
    pkgs = [("express", "4.19.2"), ("lodash", "4.17.21"), ("axios", "1.7.2"), ("dotenv", "16.4.5"), ("zod", "3.23.8")]
    lock = {"name": "acme-web", "version": "3.4.0", "lockfileVersion": 3, "requires": True,
            "packages": {"": {"name": "acme-web", "version": "3.4.0", "dependencies": {p: "^" + v for p, v in pkgs}}}}
    for p, v in pkgs:
        lock["packages"][f"node_modules/{p}"] = {
            "version": v, "resolved": f"https://registry.npmjs.org/{p}/-/{p}-{v}.tgz",
            "integrity": D("npm", "sri-integrity", "sha512-" + b64(hashlib.sha512(g.bytes(32)).digest())),
            "license": "MIT"}
    c.put("apps/web/package-lock.json", json.dumps(lock, indent=2, ensure_ascii=False) + "\n")
    ylines = ["# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.", "# yarn lockfile v1", ""]
    for p, v in [("chalk", "4.1.2"), ("commander", "12.1.0"), ("semver", "7.6.2")]:
        ylines += [f'{p}@^{v}:', f'  version "{v}"', f'  resolved "https://registry.yarnpkg.com/{p}/-/{p}-{v}.tgz#{D("npm", "sha1-digest", sha("sha1"))}"',
                   f"  integrity {D('npm', 'sri-integrity', 'sha512-' + b64(hashlib.sha512(g.bytes(32)).digest()))}", ""]
    c.put("apps/admin/yarn.lock", "\n".join(ylines))
    gosum = []
    for m, v in [("github.com/go-chi/chi/v5", "v5.0.12"), ("github.com/prometheus/client_golang", "v1.19.1"),
                 ("golang.org/x/sync", "v0.7.0")]:
        gosum.append(f"{m} {v} {D('generic', 'go-sum-hash', 'h1:' + b64(hashlib.sha256(g.bytes(32)).digest()))}")
        gosum.append(f"{m} {v}/go.mod {D('generic', 'go-sum-hash', 'h1:' + b64(hashlib.sha256(g.bytes(32)).digest()))}")
    c.put("services/gateway/go.sum", "\n".join(gosum) + "\n")
    cl = ["# This file is automatically @generated by Cargo.", "# It is not intended for manual editing.", "version = 3", ""]
    for p, v in [("memchr", "2.7.4"), ("regex", "1.10.5"), ("serde", "1.0.203")]:
        cl += ["[[package]]", f'name = "{p}"', f'version = "{v}"',
               'source = "registry+https://github.com/rust-lang/crates.io-index"',
               f'checksum = "{D("generic", "cargo-checksum", sha("sha256"))}"', ""]
    c.put("tools/indexer/Cargo.lock", "\n".join(cl))
    c.put("apps/web/public/index.html", "\n".join([
        "<!doctype html>", "<html>", "<head>", '  <meta charset="utf-8">', "  <title>Acme</title>",
        f'  <script src="https://cdn.jsdelivr.net/npm/htmx.org@1.9.12/dist/htmx.min.js" integrity="{D("generic", "sri-integrity", "sha384-" + b64(hashlib.sha384(g.bytes(32)).digest()))}" crossorigin="anonymous"></script>',
        f'  <script src="https://js.stripe.com/v3/" data-key="{D("stripe", "publishable-key", "pk_live_51" + g.s(ALNUM, 97))}"></script>',
        f'  <script src="https://www.paypal.com/sdk/js?client-id={D("paypal", "client-id", "A" + g.s(B64URL, 79))}&currency=EUR"></script>',
        "</head>", '<body><div id="app"></div></body>', "</html>", ""]))

    # ---- placeholders -----------------------------------------------------------------
    kv("compose", "stripe secret key", D("stripe", "placeholder", "${STRIPE_SECRET_KEY}"))
    kv("compose", "postgres password", D("generic", "placeholder", "${POSTGRES_PASSWORD:?set it in .env}"))
    kv("yaml", "api key", D("generic", "placeholder", "<your-api-key>"))
    kv("yaml", "smtp password", D("generic", "placeholder", "changeme"))
    kv("ini", "password", D("generic", "placeholder", "xxxxxxxx"))
    kv("env", "sendgrid api key", D("sendgrid", "placeholder", "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))
    raw("py", 'OPENAI_API_KEY = @@', D("openai", "placeholder", 'os.environ["OPENAI_API_KEY"]'), section="main")
    raw("py", "    token = @@", D("github", "placeholder", 'os.getenv("GITHUB_TOKEN")'), section="func")
    raw("js", "const sendgridKey = @@;", D("sendgrid", "placeholder", "process.env.SENDGRID_API_KEY"), section="main")
    raw("ts", "const anthropicKey = @@ ?? '';", D("anthropic", "placeholder", "process.env.ANTHROPIC_API_KEY"), section="main")
    raw("gha", "  NPM_TOKEN: @@", D("npm", "placeholder", "${{ secrets.NPM_TOKEN }}"), section="env")
    raw("gha", "  GH_TOKEN: @@", D("github", "placeholder", "${{ secrets.GITHUB_TOKEN }}"), section="env")
    raw("sh", 'curl -H "Authorization: token @@" https://api.github.com/user', D("github", "placeholder", "$GITHUB_TOKEN"))
    raw("sh", "export DB_PASSWORD=@@", D("generic", "placeholder", "$(cat /run/secrets/db_password)"))
    kv("tf", "db password", D("generic", "placeholder", "${var.db_password}"))
    raw("yaml", '  db_password: "@@"', D("generic", "placeholder", "{{ vault_db_password }}"))
    kv("json", "api token", D("generic", "placeholder", "REPLACE_ME"))
    kv("props", "spring datasource password", D("generic", "placeholder", "${DB_PASSWORD}"))
    kv("xml", "stripe secret key", D("stripe", "placeholder", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"))
    kv("env", "github token", D("github", "placeholder", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))
    kv("k8s-deploy", "database url", D("database", "placeholder", "postgres://app:${DB_PASSWORD}@db:5432/app"))
    kv("env", "redis url", D("database", "passwordless-url", "redis://localhost:6379/0"))
    kv("yaml", "database url", D("database", "passwordless-url", "postgresql://db.internal.acme-corp.io:5432/app"))
    kv("json", "registry url", D("url", "url-without-password", "https://registry.acme-corp.io/v2/"))
    kv("ini", "proxy", D("url", "url-username-only", "https://svc-proxy@proxy.acme-corp.io:3128"))
    kv("env", "git remote", D("url", "ssh-remote", "git@github.com:acme-corp/platform.git"))
    c.put("docs/setup.md", "\n".join([
        "# Local setup", "", "Copy `.env.sample` to `.env` and fill in your own credentials:", "", "```sh",
        f"export STRIPE_SECRET_KEY={D('stripe', 'placeholder', '<your-stripe-secret-key>')}",
        f"export OPENAI_API_KEY={D('openai', 'placeholder', 'sk-...')}",
        f"export DATABASE_URL={D('database', 'placeholder', 'postgres://<user>:<password>@localhost:5432/acme')}",
        f"export SLACK_WEBHOOK_URL={D('slack', 'placeholder', 'https://hooks.slack.com/services/XXXXXXXXX/XXXXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX')}",
        "```", "", "For the AWS CLI the documentation uses these keys; they do not work:", "", "```ini", "[default]",
        f"aws_access_key_id = {D('aws', 'documentation-key', 'AKIAIOSFODNN7EXAMPLE')}",
        f"aws_secret_access_key = {D('aws', 'documentation-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')}",
        "```", "", f"A token looks like `{D('github', 'placeholder', 'ghp_<36 characters>')}`; never commit one.", ""]))
    c.put(".env.sample", "\n".join([
        "# copy to .env", f"AWS_ACCESS_KEY_ID={D('aws', 'documentation-key', 'AKIAI44QH8DHBEXAMPLE')}",
        f"AWS_SECRET_ACCESS_KEY={D('aws', 'documentation-key', 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY')}",
        f"DATABASE_URL={D('database', 'placeholder', 'postgres://user:${DB_PASSWORD}@localhost:5432/acme')}",
        f"STRIPE_SECRET_KEY={D('stripe', 'placeholder', 'sk_test_...')}",
        f"SLACK_BOT_TOKEN={D('slack', 'placeholder', 'xoxb-your-bot-token')}",
        f"OPENAI_API_KEY={D('openai', 'placeholder', '<your-api-key>')}",
        f"ANTHROPIC_API_KEY={D('anthropic', 'placeholder', 'sk-ant-api03-...')}",
        f"JWT_SECRET={D('generic', 'placeholder', 'replace_me')}", ""]))
    c.put("services/api/tests/test_storage.py", "\n".join([
        '"""S3 tests run against moto; the credentials are moto\'s fixed fakes."""', "import os", "", "import boto3",
        "from moto import mock_aws", "", "", "def setup_module():",
        f'    os.environ["AWS_ACCESS_KEY_ID"] = "{D("aws", "low-entropy", "testing")}"',
        f'    os.environ["AWS_SECRET_ACCESS_KEY"] = "{D("aws", "low-entropy", "testing")}"', "", "",
        "@mock_aws", "def test_upload():", '    s3 = boto3.client("s3", region_name="us-east-1")',
        f'    s3.create_bucket(Bucket="{D("generic", "identifier", "acme-test-bucket")}")', ""]))

    # ---- public keys and certificates ------------------------------------------------------
    c.put("keys/tls/server.crt", D("private-key", "certificate", pem_wrap("CERTIFICATE", der_certificate(g))) + "\n"
          + D("private-key", "certificate", pem_wrap("CERTIFICATE", der_certificate(g))) + "\n")
    c.put("keys/jwt-public.pem", D("private-key", "public-key", pem_wrap("PUBLIC KEY", der_public_rsa(g))) + "\n")
    c.put("keys/legacy-rsa-public.pem", D("private-key", "rsa-public-key", pem_wrap("RSA PUBLIC KEY", g.bytes(270))) + "\n")
    c.put("keys/tls/server.csr", D("private-key", "certificate-request", pem_wrap("CERTIFICATE REQUEST", g.bytes(700))) + "\n")
    c.put("keys/release-signing.pub.asc", D("private-key", "pgp-public-key", pgp_block("PUBLIC KEY", g, 400)) + "\n")
    c.put("keys/id_ed25519.pub", D("private-key", "ssh-public-key", ssh_ed25519_public(g, "deploy@acme-ci")) + "\n")
    c.put("deploy/ssh/authorized_keys", "\n".join([
        D("private-key", "ssh-public-key", ssh_rsa_public(g, "alice@laptop")),
        D("private-key", "ssh-public-key", ssh_ed25519_public(g, "bob@workstation")),
        D("private-key", "ssh-public-key", ssh_rsa_public(g, "ci@acme-build")), ""]))
    kh = ssh_ed25519_public(g, "").strip().split(" ", 1)[1]
    c.put("deploy/ssh/known_hosts", "github.com " + D("private-key", "ssh-host-key", "ssh-ed25519 " + kh) + "\n")
    raw("tf", '\n'.join(['resource "aws_key_pair" "deployer" {', '  key_name   = "deployer"', '  public_key = "@@"', "}"]),
        D("private-key", "ssh-public-key", ssh_rsa_public(g, "deployer")), section="top")
    raw("yaml", "  jwt_public_key: |\n    @@", D("private-key", "public-key", indent_block(pem_wrap("PUBLIC KEY", der_public_rsa(g)), "    ")))

    # ---- publishable / public-by-design keys ------------------------------------------------
    kv("env", "stripe publishable key", D("stripe", "publishable-key", "pk_live_" + g.s(ALNUM, 24)))
    kv("js", "stripe publishable key", D("stripe", "publishable-key", "pk_test_51" + g.s(ALNUM, 97)), section="obj")

    def mapbox_pk():
        return "pk." + b64url(json.dumps({"u": "acme-maps", "a": g.s(LOWER + DIGITS, 25)}, separators=(",", ":")).encode()) \
            + "." + g.s(B64URL, 22)
    kv("js", "mapbox access token", D("mapbox", "publishable-key", mapbox_pk()), section="obj")
    kv("ts", "mapbox token", D("mapbox", "publishable-key", mapbox_pk()), section="obj")

    def dsn():
        return f"https://{g.hex(32)}@o{g.digits(6)}.ingest.sentry.io/{g.digits(7)}"
    kv("env", "sentry dsn", D("sentry", "dsn", dsn()))
    kv("js", "sentry dsn", D("sentry", "dsn", dsn()), section="obj")
    kv("json", "square application id", D("square", "application-id", "sq0idp-" + g.s(B64URL, 22)))
    kv("env", "square application id", D("square", "application-id", "sandbox-sq0idb-" + g.s(B64URL, 22)))

    # ---- low-entropy values in secret-looking fields -------------------------------------------
    lows = [("py", "password length", "12", False), ("yaml", "token type", "bearer", True),
            ("ini", "min password length", "8", False), ("tf", "secret rotation days", "30", False),
            ("json", "api key header", "X-API-Key", True), ("env", "auth method", "oauth2", False),
            ("props", "token ttl", "3600", False), ("yaml", "password reset url", "https://app.acme-corp.io/reset", True),
            ("json", "token endpoint", "https://auth.acme-corp.io/oauth/token", True),
            ("env", "secret name", "prod/api/credentials", False), ("toml", "api version", "2023-10-16", True),
            ("yaml", "password field", "password", True), ("json", "key file", "/etc/ssl/private/server.key", True),
            ("env", "token audience", "api.acme-corp.io", False), ("ini", "require password", "true", False),
            ("k8s-secret", "auth type", "basic", False)]
    for pool, words, val, _ in lows:
        kv(pool, words, D("generic", "low-entropy", val))
    raw("py", 'token_type = "@@"', D("generic", "low-entropy", "bearer"), section="main")
    raw("py", "password_length = @@", D("generic", "low-entropy", "16"), section="main")
    kv("env", "session secret", D("generic", "masked", "********"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    out = os.path.abspath(args.outdir)
    if os.path.exists(out) and os.listdir(out):
        if not os.path.exists(os.path.join(out, "truth.json")):
            sys.exit(f"{out} exists, is not empty and holds no truth.json: refusing to overwrite it")
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)

    c = Corpus(args.seed)
    t = Tokens(c.g)
    build_pools(c)
    plant_all(c, t)
    plant_decoys(c, t)
    truth = c.write(out)

    n_p = sum(1 for x in truth if not x["decoy"])
    print(f"wrote {len(c.files)} files to {out}: {n_p} planted secrets, {len(truth) - n_p} decoys "
          f"(seed {args.seed})", file=sys.stderr)


if __name__ == "__main__":
    main()
