"""Document references: a PDF's text or a text file's, read into the planner's brief."""

from __future__ import annotations

from pathlib import Path

from fvs.models import Asset
from fvs.options.resolved import AssetUse
from fvs.pipeline.requested_assets import DescribedUpload, document_brief, document_text


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF showing text in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def described(path: Path, kind: str, purpose: str | None) -> DescribedUpload:
    asset = Asset(filename=path.name, kind=kind, path=str(path), name="files", role="upload")
    return DescribedUpload(asset, AssetUse(filename=path.name, purpose=purpose))


def test_a_pdfs_text_is_read(tmp_path):
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(pdf_with_text("Mara never takes off her red coat."))
    assert document_text(pdf).strip() == "Mara never takes off her red coat."
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnothing else")
    assert "could not be read" in document_text(broken)


def test_only_document_references_reach_the_brief(tmp_path):
    pdf, notes, other = tmp_path / "brief.pdf", tmp_path / "notes.txt", tmp_path / "other.txt"
    pdf.write_bytes(pdf_with_text("The courier is called Mara."))
    notes.write_text("Rain all day.")
    other.write_text("Not for the planner.")
    uploads = [
        described(pdf, "document", "document_reference"),
        described(notes, "text", "document_reference"),
        described(other, "text", None),
    ]
    brief = document_brief("Keep it short.", uploads, Path)
    assert brief.startswith("Keep it short.")
    assert "Reference document brief.pdf:\nThe courier is called Mara." in brief
    assert "Reference document notes.txt:\nRain all day." in brief
    assert "Not for the planner" not in brief
