"""The IPP print service (/ipp/print): any CUPS, macOS or Windows computer prints to the user's cloud queue
without a vendor client. The wire format is agents.ipp; the decisions are docs/decisions/0016."""
