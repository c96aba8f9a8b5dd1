"""The page-text collector the zh-CN page tests rely on: it must see what a reader sees."""

from tests.support.visible_text import english_left, visible_texts


def test_it_collects_text_and_the_attributes_read_out():
    html = ('<p>你好 <a title="Home" href="/x">首页</a></p><input placeholder="Your name">'
            '<video aria-label="Camera"></video><img alt="Photo"><input type="submit" value="Go"><button value="allow">同意</button>')
    assert visible_texts(html) == ["你好", "Home", "首页", "Your name", "Camera", "Photo", "Go", "同意"]


def test_it_skips_scripts_code_and_text_marked_english():
    html = ('<script>const a = "Hello";</script><style>p { color: red }</style><code>sub</code>'
            '<pre>{"verified": true}</pre><a lang="en" title="Switch">English</a>'
            '<details><summary>详细信息</summary><p lang="en"><code>invalid_request</code>: Missing uri</p></details>')
    assert visible_texts(html) == ["详细信息"]


def test_english_is_found_unless_allowed_or_data():
    assert english_left("<p>使用 CivicID 登录</p>") == []
    assert english_left("<p>请开启 JavaScript</p><p>Sign in</p>") == ["Sign in"]
    assert english_left("<h1>Community Forum 希望了解</h1>", data=("Community Forum",)) == []
    assert english_left("<p>还没有 CivicID？<a>Enrol</a></p>") == ["Enrol"]
