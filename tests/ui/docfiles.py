"""Files a newsroom would upload, made in memory: a Traditional-Chinese HTML page and a PDF,
each stating a figure no document of docs_corpus has, plus disguised and broken files."""

from __future__ import annotations

HTML_NAME = "longhua-drone-stations.html"
HTML_ID = "longhua-drone-stations"
HTML_FACT = "6543"
HTML_QUESTION = "龍華測試區計劃到2029年建成多少個無人機配送站？"
HTML = f"""<!doctype html><html><head><meta charset="utf-8"><title>龍華測試區無人機配送站計劃</title></head>
<body><nav>首頁 | 新聞 | 分享</nav>
<h1>龍華測試區發佈無人機配送站建設計劃</h1>
<p>龍華測試區計劃到2029年建成無人機配送站{HTML_FACT}個，覆蓋全部社區。</p>
<p>這份文件只用於測試上傳功能，不含真實政策內容。</p>
<footer>版權所有</footer></body></html>
""".encode()

PDF_NAME = "pingshan-robot-workshops.pdf"
PDF_ID = "pingshan-robot-workshops"
PDF_FACT = "4321"
PDF_QUESTION = "How many robot workshops does the Pingshan test zone plan by 2028?"
_PDF_TEXT = b"BT /F1 12 Tf 72 720 Td (The Pingshan test zone plans 4321 robot workshops by 2028.) Tj ET"


def make_pdf(stream: bytes = _PDF_TEXT) -> bytes:
    """A one-page PDF whose text is ``stream``'s string (Helvetica, so ASCII only)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


PDF = make_pdf()
BIG5_TEXT = "大鵬測試區計劃到2030年建成海洋監測站2468個。\n\n這份文件只用於測試上傳功能。\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200  # a PE header's start
