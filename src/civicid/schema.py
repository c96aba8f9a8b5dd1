"""Imports every domain's models so ``Base.metadata`` describes the whole schema (for Alembic)."""

from civicid.audit import models as _audit  # noqa: F401
from civicid.db import Base
from civicid.enrolment import models as _enrolment  # noqa: F401
from civicid.enrolment import recovery as _recovery  # noqa: F401
from civicid.identity import models as _identity  # noqa: F401
from civicid.identity import passkeys as _passkeys  # noqa: F401
from civicid.identity import sessions as _sessions  # noqa: F401
from civicid.oidc import models as _oidc  # noqa: F401
from civicid.officials import models as _officials  # noqa: F401
from civicid.partners import models as _partners  # noqa: F401
from civicid.registry import models as _registry  # noqa: F401
from civicid.vault import models as _vault  # noqa: F401

metadata = Base.metadata
