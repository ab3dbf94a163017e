"""Read the 情况表 out of attachment bytes; knows nothing of mail or storage."""
