"""回执 to branches: what a receipt says (render), and sending the queued ones after commit (send)."""
