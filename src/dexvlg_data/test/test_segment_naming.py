"""Part naming: the offline rules, Set-of-Mark views, and the OpenAI-compatible VLM client against a local fake
server on 127.0.0.1 (started here, bounded by timeouts)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from manifold3d import Manifold

from dexvlg_data.objects.families.assembly import PartAssembly
from dexvlg_data.objects.marks import SIX_VIEWS, contact_sheet, render_marked_views
from dexvlg_data.objects.naming import (
    PartNamer,
    RuleNamer,
    VLMConfig,
    VLMNamer,
    build_som_request,
    default_namer,
    parse_names,
)


def _cyl(r, z0, z1):
    return Manifold.cylinder(z1 - z0, r, r, 32).translate((0.0, 0.0, z0))


def _box(size, center):
    return Manifold.cube(size, True).translate(center)


def _mesh(solids):
    names = tuple(dict.fromkeys(n for n, _ in solids))
    assembly = PartAssembly(names)
    for name, solid in solids:
        assembly.add(name, solid)
    mesh, labels = assembly.build()
    return mesh, labels, names


def _mug_handle():
    return (_box((0.035, 0.012, 0.01), (0.055, 0.0, 0.085)) + _box((0.035, 0.012, 0.01), (0.055, 0.0, 0.025))
            + _box((0.01, 0.012, 0.07), (0.068, 0.0, 0.055)))


CASES = {
    "mug": [("body", _cyl(0.045, 0.0, 0.11) - _cyl(0.04, 0.006, 0.12)), ("handle", _mug_handle())],
    "bottle": [("body", _cyl(0.04, 0.0, 0.18)), ("neck", _cyl(0.014, 0.179, 0.229)),
               ("cap", _cyl(0.017, 0.228, 0.248))],
    "saucepan": [("body", _cyl(0.09, 0.0, 0.1) - _cyl(0.085, 0.005, 0.11)), ("lid", _cyl(0.092, 0.1, 0.11)),
                 ("knob", _cyl(0.012, 0.109, 0.125)), ("handle", _box((0.18, 0.025, 0.015), (0.17, 0.0, 0.08)))],
    "hammer": [("handle", _cyl(0.014, 0.0, 0.25)), ("head", _box((0.12, 0.035, 0.035), (0.0, 0.0, 0.26)))],
    "teddy bear": [("body", Manifold.sphere(0.06, 24).scale((1.0, 0.8, 1.2))),
                   ("head", Manifold.sphere(0.04, 24).translate((0.0, 0.0, 0.1)))],
}


@pytest.mark.parametrize("category", sorted(CASES))
def test_rule_names(category):
    mesh, labels, truth = _mesh(CASES[category])
    names = RuleNamer().name_parts(mesh, labels, category)
    assert names == list(truth)


def test_repeated_parts_get_position_words():
    mesh, labels, _ = _mesh([("body", _cyl(0.1, 0.0, 0.12) - _cyl(0.095, 0.005, 0.13)),
                             ("handles", _box((0.05, 0.02, 0.015), (0.12, 0.0, 0.1))),
                             ("other", _box((0.05, 0.02, 0.015), (-0.12, 0.0, 0.1)))])
    names = RuleNamer().name_parts(mesh, labels, "pot")
    assert names == ["body", "right handle", "left handle"]


def test_marked_views():
    mesh, labels, names = _mesh(CASES["mug"])
    colors = np.array([[200, 60, 60], [60, 60, 200]])
    views = render_marked_views(mesh, labels, colors, size=160)
    assert len(views) == len(SIX_VIEWS) == 6
    assert all(v.image.size == (160, 160) for v in views)
    assert all(0 in v.marks for v in views)  # the body shows everywhere
    assert sum(1 in v.marks for v in views) >= 3  # the handle in most views
    assert contact_sheet(views).size == (480, 320)


def test_parse_names():
    reply = 'Sure! ```json\n{"1": "Body", "2": "the Handle!!", "7": "ghost", "x": "nope"}\n```'
    assert parse_names(reply, 3) == {0: "body", 1: "the handle"}


def test_vlm_config_from_env():
    assert VLMConfig.from_env({}) is None
    config = VLMConfig.from_env({"DEXVLG_VLM_BASE_URL": "http://127.0.0.1:1/v1", "DEXVLG_VLM_MODEL": "m"})
    assert config is not None and config.model == "m"
    assert isinstance(RuleNamer(), PartNamer)


class _FakeEndpoint(BaseHTTPRequestHandler):
    requests: list = []
    reply = '{"1": "cup body", "2": "grip"}'
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        payload = {"choices": [{"message": {"role": "assistant", "content": type(self).reply}}]}
        data = json.dumps(payload).encode() if type(self).status == 200 else b"boom"
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    _FakeEndpoint.requests = []
    _FakeEndpoint.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeEndpoint)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_vlm_namer_against_a_local_endpoint(endpoint, monkeypatch):
    monkeypatch.setenv("DEXVLG_VLM_API_KEY", "secret-for-test")
    mesh, labels, _ = _mesh(CASES["mug"])
    namer = VLMNamer(VLMConfig(base_url=endpoint, model="fake-vlm", timeout=10, image_size=128))
    assert namer.name_parts(mesh, labels, "mug") == ["cup body", "grip"]
    (request,) = _FakeEndpoint.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret-for-test"
    body = request["body"]
    assert body["model"] == "fake-vlm"
    content = body["messages"][-1]["content"]
    images = [c for c in content if c["type"] == "image_url"]
    assert len(images) == 6 and all(c["image_url"]["url"].startswith("data:image/png;base64,") for c in images)
    assert "mug" in content[0]["text"] and "2 parts" in content[0]["text"]


def test_vlm_failures_fall_back_to_rules(endpoint):
    mesh, labels, _ = _mesh(CASES["mug"])
    namer = VLMNamer(VLMConfig(base_url=endpoint, model="fake-vlm", timeout=10, image_size=96))
    _FakeEndpoint.status = 500
    assert namer.name_parts(mesh, labels, "mug") == ["body", "handle"]
    _FakeEndpoint.status = 200
    _FakeEndpoint.reply = "I cannot see any parts."
    assert namer.name_parts(mesh, labels, "mug") == ["body", "handle"]
    _FakeEndpoint.reply = '{"2": "grip"}'  # a partial answer keeps the rule name for the rest
    assert namer.name_parts(mesh, labels, "mug") == ["body", "grip"]
    _FakeEndpoint.reply = '{"1": "cup body", "2": "grip"}'
    unreachable = VLMNamer(VLMConfig(base_url="http://127.0.0.1:9/v1", model="m", timeout=2, image_size=64))
    assert unreachable.name_parts(mesh, labels, "mug") == ["body", "handle"]


def test_default_namer_is_offline_unless_configured(monkeypatch):
    monkeypatch.delenv("DEXVLG_VLM_BASE_URL", raising=False)
    assert isinstance(default_namer(), RuleNamer)
    monkeypatch.setenv("DEXVLG_VLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("DEXVLG_VLM_MODEL", "m")
    assert isinstance(default_namer(), VLMNamer)


def test_som_request_shape():
    from PIL import Image

    body = build_som_request([Image.new("RGB", (8, 8))] * 6, "kettle", 4, VLMConfig("http://x", "m"))
    text = body["messages"][-1]["content"][0]["text"]
    assert "kettle" in text and "1 to 4" in text and "JSON" in text
