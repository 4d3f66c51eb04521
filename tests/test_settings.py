from pathlib import Path

import pytest

from adapters.settings import Secret, Settings, SettingsError


def test_defaults_put_the_database_in_the_data_dir() -> None:
    s = Settings.from_env({})
    assert s.port == 8080
    assert s.host == "127.0.0.1"
    assert s.data_dir == Path("var")
    assert s.database_url == "sqlite+aiosqlite:///var/banshi.db"
    assert s.wechat_max_skew == 300
    assert s.wechat_api_base == "https://api.weixin.qq.com"


def test_environment_and_flags() -> None:
    env = {
        "BANSHI_PORT": "9000",
        "BANSHI_DATA_DIR": "/srv/banshi",
        "BANSHI_DATABASE_URL": "postgresql://bot:pw@db:5432/banshi",
        "BANSHI_WECHAT_MAX_SKEW": "0",
        "BANSHI_WECHAT_API_BASE": "http://127.0.0.1:9999/",
    }
    s = Settings.from_env(env, port=9100)
    assert s.port == 9100  # the flag wins over the variable
    assert s.data_dir == Path("/srv/banshi")
    assert s.database_url == "postgresql+asyncpg://bot:pw@db:5432/banshi"
    assert s.wechat_max_skew == 0
    assert s.wechat_api_base == "http://127.0.0.1:9999"
    assert Settings.from_env(env).port == 9000


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BANSHI_PORT", "eighty"),
        ("BANSHI_PORT", "70000"),
        ("BANSHI_WECHAT_MAX_SKEW", "-5"),
        ("BANSHI_DATABASE_URL", "mysql://x/y"),
        ("BANSHI_WECHAT_AES_KEY", "short"),
        ("BANSHI_WECHAT_API_BASE", "api.weixin.qq.com"),
        ("BANSHI_LOG_LEVEL", "LOUD"),
        ("BANSHI_CATALOG_POLL_SECONDS", "0"),
    ],
)
def test_a_malformed_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as e:
        Settings.from_env({name: value})
    assert name in str(e.value)


def test_secrets_never_print() -> None:
    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    s = Settings.from_env(
        {
            "BANSHI_WECHAT_SECRET": "topsecret",
            "BANSHI_WECHAT_TOKEN": "tok123",
            "BANSHI_WECHAT_AES_KEY": key,
            "BANSHI_DATABASE_URL": "postgresql://bot:hunter2@db/banshi",
        }
    )
    shown = repr(s) + str(s.describe())
    for secret in ("topsecret", "tok123", key, "hunter2"):
        assert secret not in shown
    assert s.wechat_secret.get() == "topsecret"
    assert isinstance(s.wechat_aes_key, Secret) and s.wechat_aes_key.get() == key


def test_a_bad_secret_is_not_echoed_in_the_error() -> None:
    with pytest.raises(SettingsError) as e:
        Settings.from_env({"BANSHI_WECHAT_AES_KEY": "this-is-my-wrong-key"})
    assert "this-is-my-wrong-key" not in str(e.value)


def test_cli_reports_configuration_errors(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import app

    monkeypatch.setenv("BANSHI_PORT", "not-a-port")
    assert app.main(["serve"]) == 2
    assert "BANSHI_PORT" in capsys.readouterr().err
