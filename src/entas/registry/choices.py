"""Categorical values of the registry, coded as in the Regsosek 2022 family form (REGSOSEK2022.K,
as implemented in OpenSID) where a code exists. Labels are English in the code and Indonesian in
the interface (locale/id). Where the source's exact code list is UNCONFIRMED, the docstring says so.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")


class Relationship(models.TextChoices):
    """Relationship to the head of the family (Regsosek 409)."""

    HEAD = "1", _("Head of family")
    SPOUSE = "2", _("Husband/wife")
    CHILD = "3", _("Child")
    CHILD_IN_LAW = "4", _("Son/daughter-in-law")
    GRANDCHILD = "5", _("Grandchild")
    PARENT = "6", _("Parent/parent-in-law")
    DOMESTIC_WORKER = "7", _("Domestic worker")
    OTHER = "8", _("Other")


class MaritalStatus(models.TextChoices):
    """Regsosek 408."""

    SINGLE = "1", _("Not married")
    MARRIED = "2", _("Married")
    DIVORCED = "3", _("Divorced")
    WIDOWED = "4", _("Widowed")


class SchoolParticipation(models.TextChoices):
    """Regsosek 412."""

    NEVER = "0", _("Never attended school")
    ATTENDING = "1", _("Still in school")
    LEFT = "2", _("No longer in school")


class SchoolLevel(models.TextChoices):
    """Level of the school attended or last attended (Regsosek 413)."""

    PAUD = "1", _("Early childhood (PAUD)")
    TK = "2", _("Kindergarten (TK/RA)")
    SD = "3", _("Primary (SD/MI/Paket A)")
    SDLB = "4", _("Special primary (SDLB)")
    SMP = "5", _("Junior secondary (SMP/MTs/Paket B)")
    SMPLB = "6", _("Special junior secondary (SMPLB)")
    SMA = "7", _("Senior secondary (SMA/MA/Paket C)")
    SMK = "8", _("Vocational secondary (SMK/MAK)")
    SMALB = "9", _("Special senior secondary (SMALB)")
    DIPLOMA = "10", _("Diploma (D1/D2/D3)")
    BACHELOR = "11", _("Bachelor (D4/S1)")
    PROFESSION = "12", _("Professional")
    MASTER = "13", _("Master (S2)")
    DOCTORATE = "14", _("Doctorate (S3)")


class Diploma(models.TextChoices):
    """Highest diploma held (Regsosek 415)."""

    NONE = "0", _("No diploma")
    SD = "1", _("Primary (SD or equivalent)")
    SMP = "2", _("Junior secondary (SMP or equivalent)")
    SMA = "3", _("Senior secondary (SMA/SMK or equivalent)")
    DIPLOMA = "4", _("Diploma (D1/D2/D3)")
    BACHELOR = "5", _("Bachelor (D4/S1)")
    POSTGRADUATE = "6", _("Postgraduate (S2/S3)")


class Industry(models.TextChoices):
    """Main industry of work (Regsosek 417, KBLI sections grouped; exact code list UNCONFIRMED)."""

    CROPS = "1", _("Food crops")
    HORTICULTURE = "2", _("Horticulture")
    PLANTATION = "3", _("Plantations")
    FISHERIES = "4", _("Fisheries")
    LIVESTOCK = "5", _("Livestock")
    FORESTRY = "6", _("Forestry and other agriculture")
    MINING = "7", _("Mining and quarrying")
    MANUFACTURING = "8", _("Manufacturing")
    UTILITIES = "9", _("Electricity, gas and water")
    CONSTRUCTION = "10", _("Construction")
    TRADE = "11", _("Wholesale and retail trade")
    TRANSPORT = "12", _("Transport and storage")
    ACCOMMODATION = "13", _("Accommodation and food service")
    INFORMATION = "14", _("Information and communication")
    FINANCE = "15", _("Finance and insurance")
    EDUCATION = "16", _("Education")
    HEALTH = "17", _("Health and social work")
    PUBLIC_ADMIN = "18", _("Public administration")
    OTHER_SERVICES = "19", _("Other services")


class EmploymentStatus(models.TextChoices):
    """Status in main employment (Regsosek 418)."""

    OWN_ACCOUNT = "1", _("Own-account worker")
    EMPLOYER_TEMPORARY = "2", _("Employer with temporary/unpaid workers")
    EMPLOYER_PERMANENT = "3", _("Employer with permanent/paid workers")
    EMPLOYEE = "4", _("Private employee")
    CIVIL_SERVANT = "5", _("Civil servant, army, police, state enterprise")
    CASUAL_AGRICULTURE = "6", _("Casual worker in agriculture")
    CASUAL_NON_AGRICULTURE = "7", _("Casual worker outside agriculture")
    FAMILY_WORKER = "8", _("Unpaid family worker")


class Difficulty(models.TextChoices):
    """Functional difficulty (Regsosek 428a–j, Washington Group style). Regsosek's answer codes are
    UNCONFIRMED; these follow the Washington Group's four levels."""

    NONE = "1", _("No difficulty")
    SOME = "2", _("Some difficulty")
    A_LOT = "3", _("A lot of difficulty")
    CANNOT = "4", _("Cannot do at all")


DIFFICULTY_DOMAINS: list[tuple[str, str]] = [
    # (field suffix, Regsosek item letter); WG-SS domains are a, b, c, g, h, i
    ("seeing", "a"),
    ("hearing", "b"),
    ("walking", "c"),
    ("hands", "d"),
    ("learning", "e"),
    ("behaviour", "f"),
    ("speaking", "g"),
    ("selfcare", "h"),
    ("remembering", "i"),
    ("depression", "j"),
]


class ChronicIllness(models.TextChoices):
    """Main chronic disease (Regsosek 430; code list UNCONFIRMED)."""

    NONE = "0", _("None")
    HYPERTENSION = "1", _("Hypertension")
    RHEUMATISM = "2", _("Rheumatism")
    ASTHMA = "3", _("Asthma")
    HEART = "4", _("Heart disease")
    DIABETES = "5", _("Diabetes")
    TUBERCULOSIS = "6", _("Tuberculosis")
    STROKE = "7", _("Stroke")
    CANCER = "8", _("Cancer")
    KIDNEY = "9", _("Kidney failure")
    OTHER = "10", _("Other")


class HealthInsurance(models.TextChoices):
    """Health insurance (Regsosek 431a)."""

    NONE = "0", _("None")
    PBI = "1", _("JKN PBI (premium paid by the state)")
    JKN_SELF = "2", _("JKN, self-paid")
    JKN_EMPLOYER = "3", _("JKN, paid by the employer")
    OTHER = "4", _("Other insurance")


class BuildingOwnership(models.TextChoices):
    """Regsosek 301a."""

    OWN = "1", _("Owned")
    RENTED = "2", _("Rented/contract")
    RENT_FREE = "3", _("Rent-free")
    OFFICIAL = "4", _("Official housing")
    OTHER = "5", _("Other")


class LandCertificate(models.TextChoices):
    """Proof of ownership of the land under the building (Regsosek 301b)."""

    SHM_MEMBER = "1", _("SHM certificate in a member's name")
    SHM_OTHER_AGREEMENT = "2", _("SHM not in a member's name, with agreement")
    SHM_OTHER = "3", _("SHM not in a member's name, without agreement")
    OTHER_CERTIFICATE = "4", _("Certificate other than SHM")
    OTHER_PROOF = "5", _("Other proof")
    NONE = "6", _("No proof")


class FloorMaterial(models.TextChoices):
    """Regsosek 303."""

    MARBLE = "1", _("Marble/granite")
    CERAMIC = "2", _("Ceramic tiles")
    PARQUET = "3", _("Parquet/vinyl/carpet")
    TILES = "4", _("Tiles/terrazzo")
    WOOD = "5", _("Wood/boards")
    CEMENT = "6", _("Cement/red brick")
    BAMBOO = "7", _("Bamboo")
    EARTH = "8", _("Earth")
    OTHER = "9", _("Other")


class WallMaterial(models.TextChoices):
    """Regsosek 304."""

    MASONRY = "1", _("Masonry")
    PLASTERED_BAMBOO = "2", _("Plastered bamboo/wire mesh")
    WOOD_BOARD = "3", _("Wood/boards/gypsum")
    WOVEN_BAMBOO = "4", _("Woven bamboo")
    LOGS = "5", _("Logs")
    BAMBOO = "6", _("Bamboo")
    OTHER = "7", _("Other")


class RoofMaterial(models.TextChoices):
    """Regsosek 305."""

    CONCRETE = "1", _("Concrete")
    CLAY_TILE = "2", _("Clay tiles")
    ZINC = "3", _("Corrugated zinc")
    ASBESTOS = "4", _("Asbestos")
    WOOD = "5", _("Wood/shingles")
    BAMBOO = "6", _("Bamboo")
    THATCH = "7", _("Straw/palm thatch")
    OTHER = "8", _("Other")


class WaterSource(models.TextChoices):
    """Main source of drinking water (Regsosek 306a)."""

    BOTTLED = "1", _("Branded bottled water")
    REFILL = "2", _("Refill water")
    PIPED = "3", _("Piped water (PDAM)")
    BOREHOLE = "4", _("Borehole/pump")
    PROTECTED_WELL = "5", _("Protected well")
    UNPROTECTED_WELL = "6", _("Unprotected well")
    PROTECTED_SPRING = "7", _("Protected spring")
    UNPROTECTED_SPRING = "8", _("Unprotected spring")
    SURFACE = "9", _("Surface water (river, lake, pond)")
    RAIN = "10", _("Rainwater")
    OTHER = "11", _("Other")


class Lighting(models.TextChoices):
    """Main source of lighting (Regsosek 307a)."""

    PLN_METERED = "1", _("PLN electricity with meter")
    PLN_UNMETERED = "2", _("PLN electricity without meter")
    NON_PLN = "3", _("Non-PLN electricity")
    NONE = "4", _("Not electricity")


class PowerVA(models.TextChoices):
    """Installed PLN power (Regsosek 307b)."""

    VA450 = "450", "450 VA"
    VA900 = "900", "900 VA"
    VA1300 = "1300", "1.300 VA"
    VA2200 = "2200", "2.200 VA"
    ABOVE = "2201", _("More than 2.200 VA")


class CookingFuel(models.TextChoices):
    """Main cooking fuel (Regsosek 308)."""

    NO_COOKING = "0", _("Does not cook")
    ELECTRICITY = "1", _("Electricity")
    LPG_5 = "2", _("LPG 5.5 kg / blue gaz")
    LPG_12 = "3", _("LPG 12 kg")
    LPG_3 = "4", _("LPG 3 kg")
    CITY_GAS = "5", _("Piped city gas")
    BIOGAS = "6", _("Biogas")
    KEROSENE = "7", _("Kerosene")
    BRIQUETTE = "8", _("Briquettes")
    CHARCOAL = "9", _("Charcoal")
    FIREWOOD = "10", _("Firewood")
    OTHER = "11", _("Other")


class ToiletFacility(models.TextChoices):
    """Toilet ownership and use (Regsosek 309a)."""

    OWN = "1", _("Own, used by members only")
    SHARED = "2", _("Shared with certain households")
    COMMUNAL = "3", _("Communal (MCK)")
    PUBLIC = "4", _("Public")
    NOT_USED = "5", _("Exists, not used by members")
    NONE = "6", _("No facility")


class ToiletType(models.TextChoices):
    """Regsosek 309b."""

    GOOSENECK = "1", _("Gooseneck (flush/pour)")
    COVERED_PIT = "2", _("Slab with cover")
    UNCOVERED_PIT = "3", _("Slab without cover")
    CESSPIT = "4", _("Open pit")


class SewageDisposal(models.TextChoices):
    """Final disposal of faeces (Regsosek 310)."""

    SEPTIC_TANK = "1", _("Septic tank")
    TREATMENT = "2", _("Treatment plant (IPAL)")
    WATER_BODY = "3", _("Pond/field/river/lake/sea")
    PIT = "4", _("Hole in the ground")
    OPEN = "5", _("Beach/open ground/garden")
    OTHER = "6", _("Other")


class RegistrationSource(models.TextChoices):
    DTSEN = "dtsen", _("DTSEN import")
    USULAN = "usulan", _("New proposal (usulan baru)")
    OPERATOR = "operator", _("Entered by an operator")


class VerificationStatus(models.TextChoices):
    """Where a household stands in the local update cycle (DOMAIN §6.1)."""

    USULAN = "usulan", _("Proposed")
    DIVERIFIKASI = "diverifikasi", _("Verified")
    DISAHKAN = "disahkan", _("Ratified")
    DITOLAK = "ditolak", _("Rejected")


class Programme(models.TextChoices):
    """National and local programmes a family reports receiving (Regsosek 501a–g)."""

    BPNT = "bpnt", _("BPNT/Sembako")
    PKH = "pkh", _("PKH")
    BLT_DESA = "blt_desa", _("BLT Dana Desa")
    ELECTRICITY = "subsidi_listrik", _("Electricity subsidy")
    PEMDA = "bantuan_pemda", _("City (Pemda) aid")
    FERTILISER = "subsidi_pupuk", _("Fertiliser subsidy")
    LPG = "subsidi_lpg", _("LPG subsidy")
