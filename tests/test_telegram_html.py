"""parse_html must turn Telegram-HTML into exactly the text + entities the Bot API would."""

import pytest
from telegram import Message, MessageEntity

from tgbot.telegram_html import TelegramHtmlError, html_to_plain, parse_html, utf16_len


def entity(kind: str, offset: int, length: int, **extra: str) -> dict[str, object]:
    return {"type": kind, "offset": offset, "length": length, **extra}


def test_plain_text_and_newlines_pass_through() -> None:
    assert parse_html("hello\n\nworld  ") == ("hello\n\nworld  ", [])


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ],
)
def test_simple_tags(tag: str, kind: str) -> None:
    assert parse_html(f"ab <{tag}>cd</{tag}> e") == ("ab cd e", [entity(kind, 3, 2)])


def test_tag_names_are_case_insensitive() -> None:
    assert parse_html("<B>x</B><I>y</i>") == ("xy", [entity("bold", 0, 1), entity("italic", 1, 1)])


def test_attributes_in_all_forms_are_accepted() -> None:
    html = "<i  aba = 190azAz-.  >a</i><b x='&lt;' y=\"q\" z>b</b>"
    assert parse_html(html) == ("ab", [entity("italic", 0, 1), entity("bold", 1, 1)])


def test_pre_and_code_without_language_stay_two_entities() -> None:
    assert parse_html("<pre><code>x</code></pre>")[1] == [
        entity("pre", 0, 1),
        entity("code", 0, 1),
    ]


def test_offsets_are_utf16_code_units() -> None:
    text, entities = parse_html("😀 <b>ü💪</b>!")
    assert text == "😀 ü💪!"
    assert entities == [entity("bold", 3, 3)]
    assert utf16_len(text) == 7


def test_offsets_agree_with_ptb_entity_parsing() -> None:
    html = "🦵 <b>Cramp</b> — <i>stretch 💪 gently</i> <a href='https://x.org/'>more</a>"
    text, entities = parse_html(html)
    message = Message.de_json(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": text,
            "entities": entities,
        },
        None,
    )
    assert message is not None
    assert list(message.parse_entities().values()) == ["Cramp", "stretch 💪 gently", "more"]
    assert message.parse_entities([MessageEntity.TEXT_LINK]).popitem()[0].url == "https://x.org/"


def test_nested_entities_sorted_like_telegram() -> None:
    text, entities = parse_html("<i>a<b>bc</b></i><b><i>d</i></b>")
    assert text == "abcd"
    assert entities == [
        entity("italic", 0, 3),
        entity("bold", 1, 2),
        entity("bold", 3, 1),
        entity("italic", 3, 1),
    ]


def test_html_entities_are_decoded() -> None:
    text, entities = parse_html("&lt;b&gt; &amp; &quot;q&quot; &#33;&#x1F600; <b>&#x41;</b>")
    assert text == '<b> & "q" !😀 A'
    assert entities == [entity("bold", 14, 1)]


def test_bare_ampersand_is_literal() -> None:
    assert html_to_plain("Salt & pepper &c") == "Salt & pepper &c"


def test_unsupported_named_entity_is_an_error() -> None:
    with pytest.raises(TelegramHtmlError, match="&nbsp;"):
        parse_html("a&nbsp;b")


def test_links() -> None:
    text, entities = parse_html('<a href="https://e.org/?a=1&amp;b=2">here</a> <a href="">x</a>')
    assert text == "here x"
    assert entities == [entity("text_link", 0, 4, url="https://e.org/?a=1&b=2")]


@pytest.mark.parametrize(
    ("html", "url"),
    [
        ("<a href=telegram.org>x</a>", "http://telegram.org/"),
        ("<a href='telegram.org?&lt;'>x</a>", "http://telegram.org/?<"),
        ('<a href="https://e.org">x</a>', "https://e.org/"),
        ('<a href="tg://user?id=42">x</a>', "tg://user?id=42"),
    ],
)
def test_link_urls_are_normalized_like_telegram(html: str, url: str) -> None:
    assert parse_html(html)[1] == [entity("text_link", 0, 1, url=url)]


@pytest.mark.parametrize(
    "html", ["<a>telegram.org </a>", "<a> </a>", '<a href="javascript:alert(1)">x</a>']
)
def test_invalid_links_are_dropped_silently(html: str) -> None:
    assert parse_html(html)[1] == []


def test_link_without_href_uses_its_text() -> None:
    assert parse_html("<a>https://e.org</a>")[1] == [
        entity("text_link", 0, 13, url="https://e.org/")
    ]


def test_pre_with_language() -> None:
    html = '<pre><code class="language-python">x = 1\n</code></pre>'
    assert parse_html(html) == ("x = 1\n", [entity("pre", 0, 6, language="python")])


def test_code_alone_drops_language() -> None:
    assert parse_html('<code class="language-py">x</code>')[1] == [entity("code", 0, 1)]


def test_expandable_blockquote_and_spoiler_span() -> None:
    text, entities = parse_html(
        '<blockquote expandable>q</blockquote><span class="tg-spoiler">s</span>'
    )
    assert text == "qs"
    assert entities == [entity("expandable_blockquote", 0, 1), entity("spoiler", 1, 1)]


def test_custom_emoji() -> None:
    html = '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    assert parse_html(html)[1] == [
        entity("custom_emoji", 0, 2, custom_emoji_id="5368324170671202286")
    ]


def test_empty_entities_are_dropped() -> None:
    assert parse_html("<b></b>x") == ("x", [])


def test_empty_end_tag_closes_innermost() -> None:
    assert parse_html("<b>x</>") == ("x", [entity("bold", 0, 1)])


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("é<div>x</div>", 'Can\'t parse entities: unsupported start tag "div" at byte offset 2'),
        ("<b>x", "Can't parse entities: can't find end tag corresponding to start tag \"b\""),
        ("<b><i>x</b></i>", 'unmatched end tag at byte offset 7, expected "</i>", found '),
        ("x</b>", "Can't parse entities: unexpected end tag at byte offset 1"),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("a <b", "unclosed start tag at byte offset 2"),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler"'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "invalid custom emoji identifier"),
        ("<b =1>x</b>", "empty attribute name"),
        ("<i a = 1a,>x</i>", "unexpected end of name token at byte offset 9"),
        ("<i>a</i   ", "unclosed end tag at byte offset 4"),
        ("&#xD83D;", "invalid unicode characters after decoding html entities"),
    ],
)
def test_errors_in_telegram_wording(html: str, message: str) -> None:
    with pytest.raises(TelegramHtmlError) as caught:
        parse_html(html)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_error_detail_keeps_tdlib_wording() -> None:
    with pytest.raises(TelegramHtmlError) as caught:
        parse_html("<br>")
    assert caught.value.detail == 'Unsupported start tag "br" at byte offset 0'


def test_utf16_len() -> None:
    assert utf16_len("") == 0
    assert utf16_len("abc") == 3
    assert utf16_len("😀") == 2
    assert utf16_len("é") == 1
