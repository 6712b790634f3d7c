"""PDF/A-2u for the reports (ISO 19005-2, level U: archivable, every character mapped to Unicode).

reportlab has no PDF/A mode; what the standard asks beyond what it already writes is added here, once per
document, from the page hook every report draws with (``layout.page_furniture``):
- XMP metadata declaring PDF/A-2u, with the same title, author, subject, producer, creator and dates as the
  document information dictionary, in an unfiltered metadata stream;
- an output intent with an sRGB ICC profile (made by Pillow's LittleCMS), since the pages use DeviceRGB.
Already true of every report: all fonts are embedded TrueType subsets with a ToUnicode map (the page's
initial font is our Noto Sans, see ``fonts.register_fonts``, never the unembedded Helvetica), images are
JPEG or Flate, no encryption, a document ID. Not checked here: conformance as a validator (veraPDF) would
check it; none is installable on the development machines (see docs/architecture.md).
"""

from __future__ import annotations

from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.pdfbase.pdfdoc import PDFArray, PDFCatalog, PDFDictionary, PDFName, PDFStream, PDFString
from reportlab.pdfbase.pdfdoc import format as pdf_format
from reportlab.pdfgen.canvas import Canvas

PART, CONFORMANCE = 2, "U"
SRGB = "sRGB IEC61966-2.1"


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


class _Metadata(PDFStream):
    """The XMP packet, written when the document is (its dates and title are known then), unfiltered."""

    def __init__(self) -> None:
        super().__init__(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}), b"")

    def format(self, document: object) -> bytes:
        content = xmp(document).encode("utf-8")
        dictionary = PDFDictionary(dict(self.dictionary.dict, Length=len(content)))
        return pdf_format(dictionary, document) + b"\nstream\n" + content + b"\nendstream\n"


def _date(document: object) -> str:
    """The document's time stamp as XMP writes it (the information dictionary's CreationDate and ModDate)."""
    stamp = document._timeStamp  # type: ignore[attr-defined]
    year, month, day, hour, minute, second = stamp.YMDhms
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{stamp.dhh:+03d}:{stamp.dmm:02d}"


def xmp(document: object) -> str:
    info = document.info  # type: ignore[attr-defined]
    when = _date(document)

    def text(value: str) -> str:
        return escape(str(value))

    lang = getattr(getattr(document.Catalog, "Lang", None), "s", None)  # type: ignore[attr-defined]
    language = f"\n   <dc:language><rdf:Bag><rdf:li>{text(lang)}</rdf:li></rdf:Bag></dc:language>" if lang else ""

    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdfaid:part>{PART}</pdfaid:part>
   <pdfaid:conformance>{CONFORMANCE}</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>{language}
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{text(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{text(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{text(info.subject)}</rdf:li></rdf:Alt></dc:description>
   <pdf:Keywords>{text(info.keywords)}</pdf:Keywords>
   <pdf:Producer>{text(info.producer)}</pdf:Producer>
   <pdf:Trapped>{text(info.trapped)}</pdf:Trapped>
   <xmp:CreatorTool>{text(info.creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:MetadataDate>{when}</xmp:MetadataDate>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def mark_archival(canvas: Canvas) -> None:
    """Give ``canvas``'s document its PDF/A-2u metadata and output intent (once; later calls do nothing)."""
    document = canvas._doc
    catalog = document.Catalog
    if getattr(catalog, "OutputIntents", None) is not None:
        return
    profile = PDFStream(PDFDictionary({"N": 3}), srgb_profile())
    intent = PDFDictionary({
        "Type": PDFName("OutputIntent"), "S": PDFName("GTS_PDFA1"),
        "OutputConditionIdentifier": PDFString(SRGB), "Info": PDFString(SRGB),
        "RegistryName": PDFString("http://www.color.org"),
        "DestOutputProfile": document.Reference(profile),
    })
    catalog.__NoDefault__ = [*PDFCatalog.__NoDefault__, "OutputIntents"]  # reportlab writes only listed keys
    catalog.OutputIntents = PDFArray([intent])
    catalog.Metadata = _Metadata()  # a reference: reportlab makes Metadata one
