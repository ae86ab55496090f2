"""VismaNetErp's number series part (mixed into integrations/visma_net/adapter.py): numberSequence → NumberSeries."""

from __future__ import annotations

from integrations.http import NotFound
from sync.erp import NumberSeries


class VismaNetNumberSeries:
    client = None  # the VismaNetClient, set by VismaNetErp

    def number_series_read(self, series_id: str) -> NumberSeries | None:
        """The numbering `series_id` with its segments (startNbr, endNbr, lastNbr, nbrStep); None when there is none."""
        try:
            numbering = self.client.number_sequence_get(series_id)
        except NotFound:
            return None
        description = numbering.get("description")
        return NumberSeries(
            id=series_id,
            description="" if description is None else str(description),
            segments=tuple(
                (
                    str(part.get("startNbr") or ""),
                    str(part.get("endNbr") or ""),
                    str(part.get("lastNbr") or ""),
                    int(part.get("nbrStep") or 1),
                )
                for part in numbering.get("sequence") or []
            ),
        )
