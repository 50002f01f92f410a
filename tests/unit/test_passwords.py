from app.auth.passwords import hash_password, needs_rehash, new_password_problems, verify_password


def test_argon2id_hashes_verify_and_never_store_the_password():
    hashed = hash_password("Secret2026")
    assert hashed.startswith("$argon2id$") and "Secret2026" not in hashed
    assert verify_password(hashed, "Secret2026") and not verify_password(hashed, "secret2026")
    assert not verify_password(None, "anything") and not verify_password("garbage", "x")
    assert not needs_rehash(hashed)


def test_new_password_rules():
    def reasons(password):
        return [p.message for p in new_password_problems(password, username="张三19780509", initial_password="8888")]

    assert reasons("Good2026pass") == []
    assert any("8位" in r for r in reasons("Ab1"))
    assert any("字母和数字" in r for r in reasons("abcdefgh"))
    assert any("初始密码" in r for r in reasons("8888"))
    assert any("用户名" in r for r in reasons("x张三19780509y"))
